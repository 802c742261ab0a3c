export * from './temp-dir';
export * from './embedded-gateway';
export * from './http';
export * from './service-process';
export * from '@dingo/test-infra';
