export * from './chunk-store';
export * from './fs-chunk-store';
export * from './s3-chunk-store';
export * from './memory-cached-chunk-store';
export * from './tiered-chunk-store';
export * from './zstd-frames';
