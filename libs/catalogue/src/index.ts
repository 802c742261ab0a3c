export * from './catalogue';
export * from './catalogue.entity';
export * from './catalogue-query';
export * from './catalogue-recorder';
export * from './catalogue-sql';
export * from './catalogue-view';
export * from './repo-facts';
export { CATALOGUE_MIGRATIONS } from './migrations/1766000000000-catalogue';
