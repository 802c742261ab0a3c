// A metadata replica in its own process, for the test that kills one mid-load:
// `node -r @swc-node/register slow-replica.fixture.ts <namespace> <delayMs>`. Prints "ready" once
// it takes calls and one line per call it starts.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metadataQueue } from '../metadata-patterns';
import { METADATA_PORT, metadataRpcController } from '../metadata-rpc.controller';
import { RedisQueueServer } from '../redis-queue-server';

async function main(): Promise<void> {
  const [namespace, delay] = process.argv.slice(2);
  const port = {
    ping: async () => undefined,
    getBlob: async (key: string) => {
      process.stdout.write(`start ${key}\n`);
      await new Promise((r) => setTimeout(r, Number(delay)));
      return { key, size: process.pid, state: 'complete' };
    },
  };
  @Module({
    controllers: [metadataRpcController(namespace)],
    providers: [{ provide: METADATA_PORT, useValue: port }],
  })
  class ReplicaModule {}
  const app = await NestFactory.createMicroservice(ReplicaModule, {
    strategy: new RedisQueueServer({
      redis: { host: '127.0.0.1', port: 6379 },
      queue: metadataQueue(namespace),
    }),
    logger: false,
  });
  await app.listen();
  process.stdout.write('ready\n');
}

void main();
