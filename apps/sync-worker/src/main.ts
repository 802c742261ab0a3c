import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, runMain } from '@dingo/config';
import { loggerFor } from '@dingo/ops';
import { SyncWorkerModule } from './sync-worker.module';

/** `sync-worker [--max-concurrent N] [--max-bandwidth 50MB]`; flags override DINGO_* env. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'max-concurrent': { type: 'string' }, 'max-bandwidth': { type: 'string' } },
  });
  const env = { ...process.env };
  if (values['max-concurrent']) env.DINGO_MAX_CONCURRENT_PULLS = values['max-concurrent'];
  if (values['max-bandwidth']) env.DINGO_MAX_BANDWIDTH = values['max-bandwidth'];
  const config = loadConfigOrExit({ port: 8093 }, env);
  if (config.mode !== 'distributed') {
    console.error(
      'sync-worker runs in distributed mode only (DINGO_MODE=distributed); the embedded gateway pulls in-process',
    );
    process.exit(2);
  }
  const app = await NestFactory.create(SyncWorkerModule.forConfig(config), {
    logger: loggerFor(config),
  });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  Logger.log(
    `sync-worker: ${config.maxConcurrentPulls} concurrent pulls, ${config.maxBandwidthBytesPerSec || 'unlimited'} B/s, health on :${config.port}`,
    'Bootstrap',
  );
}

runMain(main);
