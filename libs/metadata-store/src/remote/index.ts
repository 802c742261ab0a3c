export * from './metadata-patterns';
export * from './metadata-rpc.controller';
export * from './remote-metadata-store';
