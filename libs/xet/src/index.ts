export * from './chunker';
export * from './hash';
export * from './reconstruction';
export * from './xorb-format';
export * from './xorb-builder';
