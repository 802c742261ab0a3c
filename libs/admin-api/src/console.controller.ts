import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { PublicRoute } from '@dingo/contracts';
import { HubError } from '@dingo/hub-protocol';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built console (apps/console, `dist/console`): the first `dist/console/index.html` found
 * walking up from this file, whether it runs from source or from `dist/`.
 */
export function consoleDir(from = __dirname): string | undefined {
  if (process.env.DINGO_CONSOLE_DIR) return process.env.DINGO_CONSOLE_DIR;
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'dist', 'console'), join(dir, 'console')])
      if (existsSync(join(candidate, 'index.html')) && candidate.includes(`${sep}dist${sep}`))
        return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The web console's static files at `/console` (open: the page holds no data; every API call it
 * makes carries the user's credentials). Unknown paths without an extension answer the app's
 * `index.html` (client-side routes); hashed assets are cached for a year, the page never.
 */
@ApiExcludeController()
@PublicRoute()
@Controller('console')
export class ConsoleController {
  private readonly root = consoleDir();

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('*path')
  file(@Param('path') path: string | string[], @Res() res: Response): void {
    const rel = Array.isArray(path) ? path.join('/') : path;
    const clean = normalize(rel).replace(/^(\.\.(\/|\\|$))+/, '');
    if (!this.root) throw HubError.notFound('The console is not built (npm run build)');
    const full = join(this.root, clean);
    if (full.startsWith(this.root + sep) && existsSync(full) && statSync(full).isFile())
      return this.send(res, clean);
    if (extname(clean)) throw HubError.notFound();
    this.send(res, 'index.html');
  }

  private send(res: Response, rel: string): void {
    if (!this.root) throw HubError.notFound('The console is not built (npm run build)');
    const hashed = rel.startsWith(`assets${sep}`) || rel.startsWith('assets/');
    res.setHeader('Content-Type', TYPES[extname(rel)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (rel === 'index.html')
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      );
    res.sendFile(join(this.root, rel));
  }
}
