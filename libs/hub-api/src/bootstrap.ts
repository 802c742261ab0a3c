import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DINGO_VERSION, DingoConfig, StartupError } from '@dingo/config';
import { loggerFor } from '@dingo/ops';
import { HubErrorFilter } from './hub-error.filter';
import { requestIdMiddleware } from './request-id.middleware';

/** Creates and starts an HTTP app serving the Hub API; returns it with the URL it listens on. */
export async function startHubHttpApp(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rootModule: any,
  config: DingoConfig,
  opts: { adminApi?: boolean } = {},
): Promise<{ app: INestApplication; url: string }> {
  // Before anything is created (the bootstrap admin, files): a busy port is a one-line error.
  await assertPortFree(config.host, config.port);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    rawBody: true,
    // Start-up errors reach the app's main (one clear line), not process.abort().
    abortOnError: false,
    logger: loggerFor(config),
  });
  // Hub write requests are JSON bigger than Express's 100 KB default (huggingface_hub's preupload
  // asks about 256 files at once, each with a 512-byte sample: ~200 KB); 1 MiB still refuses floods.
  app.useBodyParser('json', { limit: '1mb' });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(requestIdMiddleware);
  app.useGlobalFilters(new HubErrorFilter());
  app.enableShutdownHooks();
  const server = app.getHttpServer();
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0; // multi-GB downloads
  await app.listen(config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const url = `http://${wildcard ? '127.0.0.1' : config.host}:${port}`;
  logWhereItRuns(config, port, wildcard, url, opts.adminApi ?? false);
  return { app, url };
}

async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const probe = createServer()
      .once('error', (err: NodeJS.ErrnoException) =>
        fail(
          err.code === 'EADDRINUSE'
            ? new StartupError(
                `Port ${port} on ${host} is already in use: stop what runs there, or set DINGO_PORT`,
              )
            : err.code === 'EACCES'
              ? new StartupError(
                  `Not allowed to listen on port ${port}: choose one above 1023 with DINGO_PORT`,
                )
              : err,
        ),
      )
      .listen(port, host, () => probe.close(() => ok()));
  });
}

/** Where it really listens and what an operator needs next, in a few lines. */
function logWhereItRuns(
  config: DingoConfig,
  port: number,
  wildcard: boolean,
  url: string,
  adminApi: boolean,
): void {
  const log = new Logger('Bootstrap');
  const reachable = wildcard
    ? Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && !a.internal && a.family === 'IPv4')
        .map((a) => `http://${a!.address}:${port}`)
    : [];
  const where = wildcard ? `${config.host}:${port} (all interfaces: ${[url, ...reachable].join(', ')})` : url;
  log.log(`DingoSpeed ${DINGO_VERSION} (${config.mode}) listening on ${where}`);
  log.log(`upstreams: ${config.upstreams.join(', ')}; data: ${resolve(config.dataDir)}`);
  log.log(`clients: HF_ENDPOINT=${config.publicUrl ?? reachable[0] ?? url}`);
  if (!adminApi) return;
  log.log(`admin API docs: ${url}/admin/v1/docs`);
  log.log(`web console: ${url}/console`);
  const passwordFile = join(resolve(config.dataDir), 'admin-password');
  if (existsSync(passwordFile)) log.log(`the generated admin password is in ${passwordFile}`);
}
