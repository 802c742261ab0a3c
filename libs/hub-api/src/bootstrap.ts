import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DingoConfig } from '@dingo/config';
import { HubErrorFilter } from './hub-error.filter';
import { requestIdMiddleware } from './request-id.middleware';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Creates and starts an HTTP app serving the Hub API; returns it with the URL it listens on. */
export async function startHubHttpApp(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  rootModule: any,
  config: DingoConfig,
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    rawBody: true,
    logger: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
  });
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
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  Logger.log(
    `DingoSpeed (${config.mode}) listening on ${url}, upstream ${config.upstreams.join(', ')}`,
    'Bootstrap',
  );
  return { app, url };
}
