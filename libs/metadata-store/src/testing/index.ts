export * from './in-memory-metadata-store';
