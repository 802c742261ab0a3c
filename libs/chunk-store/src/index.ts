export * from './chunk-store';
export * from './fs-chunk-store';
