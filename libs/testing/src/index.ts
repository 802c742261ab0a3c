export * from './temp-dir';
export * from './embedded-gateway';
export * from './http';
