export * from './single-flight';
export * from './growing-file';
export * from './redis-lock';
export * from './rate-limiter';
export * from './growing-lru';
