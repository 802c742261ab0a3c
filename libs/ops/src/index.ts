export * from './service-health.module';
export * from './readiness';
export * from './json-logger';
export * from './process-metrics';
