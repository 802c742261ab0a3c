export * from './hub-api.module';
export * from './hub.controller';
export * from './hub-error.filter';
export * from './hub-metrics';
export * from './bootstrap';
export * from './request-id.middleware';
export * from './file-responder';
