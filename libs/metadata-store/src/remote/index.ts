export * from './metadata-patterns';
export * from './metadata-rpc.controller';
export * from './remote-metadata-store';
export * from './redis-queue-keys';
export * from './redis-queue-server';
export * from './redis-queue-client';
