export * from './records';
export * from './entities';
export * from './data-source';
export * from './typeorm-metadata-store';
export * from './counted-metadata-port';
export * from './remote';
export * from './migration-lock';
