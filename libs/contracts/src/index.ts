export * from './request-context';
export * from './audit-sink';
