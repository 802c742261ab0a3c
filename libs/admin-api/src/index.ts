export * from './admin-api.module';
export * from './schemas';
export * from './validation';
export { ADMIN_API_PREFIX } from './docs.controller';
export * from './sync.controller';
