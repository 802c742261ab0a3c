export * from './single-flight';
export * from './growing-file';
export * from './verifying-stream';
export * from './redis-lock';
export * from './rate-limiter';
