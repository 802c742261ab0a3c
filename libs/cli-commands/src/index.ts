export * from './cli-errors';
export * from './program';
export * from './settings';
export * from './file-fetcher';
export * from './globs';
export * from './hf-cache';
export * from './pull-progress';
