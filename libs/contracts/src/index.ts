export * from './request-context';
export * from './audit-sink';
export * from './public-base';
export * from './resolve-headers';
export * from './public-route';
export * from './request-scope';
export * from './local-namespaces';
