export * from './hub-error';
export * from './repo-ref';
export * from './routes';
export * from './range';
export * from './headers';
export * from './paths-info';
