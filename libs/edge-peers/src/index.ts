export * from './peer-directory';
export * from './peer-chunk-fetcher';
export * from './edge-peers.module';
