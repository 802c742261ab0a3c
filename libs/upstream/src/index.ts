export * from './address-policy';
export * from './upstream-client';
export * from './upstream-body';
export * from './origin-book';
export * from './upstream-router';
export * from './redirects';
export * from './chunk-source';
