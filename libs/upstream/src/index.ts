export * from './upstream-client';
export * from './upstream-router';
