import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AUTH_ENTITIES, AUTH_MIGRATIONS } from '@dingo/auth';
import { loadConfigOrExit, redisOptionsFromUrl } from '@dingo/config';
import { openMetadataDataSource, TypeOrmMetadataStore } from '@dingo/metadata-store';
import { MetadataAppModule } from './metadata-app.module';

/** The metadata service: runs migrations, then answers the metadata port over Redis. */
async function main(): Promise<void> {
  const config = loadConfigOrExit({ port: 8092 });
  if (!config.redisUrl) {
    console.error('The metadata service needs DINGO_REDIS_URL (it answers over the Redis transport)');
    process.exit(2);
  }
  const ds = await openMetadataDataSource(config, { entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS });
  const app = await NestFactory.create(
    MetadataAppModule.forStore(config, new TypeOrmMetadataStore(ds), () => ds.destroy()),
    {
      logger: ['error', 'warn', 'log'],
    },
  );
  app.connectMicroservice({
    transport: Transport.REDIS,
    options: {
      ...redisOptionsFromUrl(config.redisUrl),
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: 500,
    },
  });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  Logger.log(`metadata service on Redis ${config.namespace}, health on :${config.port}`, 'Bootstrap');
}

void main();
