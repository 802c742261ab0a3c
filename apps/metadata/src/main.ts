import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AUTH_ENTITIES, AUTH_MIGRATIONS } from '@dingo/auth';
import { CATALOGUE_ENTITIES, CATALOGUE_MIGRATIONS } from '@dingo/catalogue';
import { HOSTED_ENTITIES, HOSTED_MIGRATIONS } from '@dingo/hosted';
import { loadConfigOrExit, redisOptionsFromUrl, runMain } from '@dingo/config';
import {
  metadataQueue,
  openMigratedDataSource,
  RedisQueueServer,
  TypeOrmMetadataStore,
} from '@dingo/metadata-store';
import { loggerFor } from '@dingo/ops';
import { MetadataAppModule } from './metadata-app.module';

/**
 * The metadata service: runs migrations (one replica at a time), then answers the metadata port
 * from the namespace's Redis queue. Run as many replicas as you like: each call reaches one.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({ port: 8092 });
  if (!config.redisUrl) {
    console.error('The metadata service needs DINGO_REDIS_URL (it answers over a Redis queue)');
    process.exit(2);
  }
  const ds = await openMigratedDataSource(config, {
    entities: [...AUTH_ENTITIES, ...CATALOGUE_ENTITIES, ...HOSTED_ENTITIES],
    migrations: [...AUTH_MIGRATIONS, ...CATALOGUE_MIGRATIONS, ...HOSTED_MIGRATIONS],
  });
  const transport = new RedisQueueServer({
    redis: redisOptionsFromUrl(config.redisUrl),
    queue: metadataQueue(config.namespace),
  });
  const app = await NestFactory.create(
    MetadataAppModule.forStore(config, new TypeOrmMetadataStore(ds), () => ds.destroy(), transport),
    { logger: loggerFor(config) },
  );
  app.connectMicroservice({ strategy: transport });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  Logger.log(
    `metadata replica ${transport.replicaId} on ${metadataQueue(config.namespace)}, health on :${config.port}`,
    'Bootstrap',
  );
}

runMain(main);
