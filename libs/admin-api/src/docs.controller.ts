import { dirname, join } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { ApiExcludeController, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Response } from 'express';
import { PublicRoute } from '@dingo/contracts';
import { HubError } from '@dingo/hub-protocol';

export const ADMIN_API_PREFIX = '/admin/v1';
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
]);

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DingoSpeed admin API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: 'docs/openapi.json', dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });</script>
</body></html>`;

/**
 * OpenAPI docs of the admin API at `/admin/v1/docs` (open: they describe, they do not disclose).
 * Served from this module's own routes because the app bootstrap is shared with the Hub surface,
 * whose catch-all would shadow routes added after start-up.
 */
@ApiExcludeController()
@Controller('admin/v1/docs')
export class DocsController {
  private document?: OpenAPIObject;

  constructor(
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  @PublicRoute()
  page(@Res() res: Response): void {
    // Relative asset URLs resolve against `/admin/v1/`, hence `docs/…` above and no trailing slash here.
    res.type('html').send(HTML);
  }

  @Get('openapi.json')
  @PublicRoute()
  openApi(): OpenAPIObject {
    this.document ??= this.build();
    return this.document;
  }

  @Get('assets/:file')
  @PublicRoute()
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!ASSETS.has(file)) throw HubError.notFound();
    res.sendFile(join(swaggerUiDir(), file));
  }

  private build(): OpenAPIObject {
    // The scanner wants an application; the parts it reads are the module container and the HTTP adapter.
    const app = {
      container: { getModules: () => this.modules, isGlobalModule: () => false },
      config: {
        getGlobalPrefix: () => '',
        getGlobalPrefixOptions: () => ({}),
        getVersioning: () => undefined,
      },
      getHttpAdapter: () => this.adapterHost.httpAdapter,
    };
    const config = new DocumentBuilder()
      .setTitle('DingoSpeed admin API')
      .setDescription(
        'Users, teams, roles, grants, tokens, upstream repo policies, cached repos and the audit log. ' +
          'Authenticate with a session JWT from POST /admin/v1/auth/login, or a personal access token (dgo_…). ' +
          'Errors use the Hub format: status, X-Error-Code, X-Error-Message and {"error": "…"}.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build();
    const document = SwaggerModule.createDocument(app as never, config);
    document.paths = Object.fromEntries(
      Object.entries(document.paths).filter(
        ([path]) => path.startsWith(ADMIN_API_PREFIX + '/') && !path.startsWith(`${ADMIN_API_PREFIX}/docs`),
      ),
    );
    return document;
  }
}

function swaggerUiDir(): string {
  return dirname(
    require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }),
  );
}
