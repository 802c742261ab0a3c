export * from './id-map';
export * from './modelscope-client';
export * from './modelscope-source';
