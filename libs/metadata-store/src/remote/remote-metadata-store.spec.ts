import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '@dingo/config';
import { openMetadataDataSource } from '../data-source';
import { metadataPortContract } from '../metadata-port.contract';
import { MetadataPort } from '../records';
import { TypeOrmMetadataStore } from '../typeorm-metadata-store';
import { metadataQueue } from './metadata-patterns';
import { METADATA_PORT, metadataRpcController } from './metadata-rpc.controller';
import { RedisQueueServer } from './redis-queue-server';
import { MetadataUnavailableError, RemoteMetadataStore } from './remote-metadata-store';

const REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * Hosts `port` the way the metadata app does: a Nest microservice on the Redis queue transport.
 * Queues are global to a Redis server, so each run uses its own namespace.
 */
async function hostMetadata(port: MetadataPort, namespace: string): Promise<INestMicroservice> {
  @Module({
    controllers: [metadataRpcController(namespace)],
    providers: [{ provide: METADATA_PORT, useValue: port }],
  })
  class MetadataHostModule {}
  const app = await NestFactory.createMicroservice(MetadataHostModule, {
    strategy: new RedisQueueServer({ redis: REDIS, queue: metadataQueue(namespace) }),
    logger: false,
  });
  await app.listen();
  return app;
}

metadataPortContract(
  'Remote over the Redis queue transport (TypeORM on SQLite behind it)',
  (() => {
    let dir: string;
    let ds: DataSource;
    let app: INestMicroservice;
    let remote: RemoteMetadataStore;
    return {
      async create() {
        const namespace = `dingo-test-${randomUUID()}`;
        dir = mkdtempSync(join(tmpdir(), 'meta-remote-'));
        ds = await openMetadataDataSource(
          loadConfig({}, { database: { type: 'sqlite', url: join(dir, 'meta.sqlite') } }),
        );
        app = await hostMetadata(new TypeOrmMetadataStore(ds), namespace);
        remote = RemoteMetadataStore.connect(REDIS, { namespace });
        return remote;
      },
      async close() {
        await remote?.close();
        await app?.close();
        await ds?.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  })(),
);

describe('RemoteMetadataStore', () => {
  it('says clearly that nobody answered when no metadata service listens', async () => {
    const remote = RemoteMetadataStore.connect(REDIS, {
      namespace: `nobody-${randomUUID()}`,
      timeoutMs: 200,
    });
    try {
      const call = remote.getBlob('sha256-x');
      await expect(call).rejects.toBeInstanceOf(MetadataUnavailableError);
      await expect(call).rejects.toThrow(
        /did not answer metadata\.getBlob within 200 ms.*metadata app running/,
      );
    } finally {
      await remote.close();
    }
  });

  it("passes the store's failure message through to the caller", async () => {
    const namespace = `dingo-test-${randomUUID()}`;
    const failing = {
      getBlob: async () => Promise.reject(new Error('ER_LOCK_WAIT_TIMEOUT: lock wait timeout')),
    };
    const app = await hostMetadata(failing as unknown as MetadataPort, namespace);
    const remote = RemoteMetadataStore.connect(REDIS, { namespace });
    try {
      await expect(remote.getBlob('sha256-x')).rejects.toThrow(
        /metadata\.getBlob failed.*ER_LOCK_WAIT_TIMEOUT/,
      );
    } finally {
      await remote.close();
      await app.close();
    }
  });
});
