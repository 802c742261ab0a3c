export * from './in-memory-chunk-store';
