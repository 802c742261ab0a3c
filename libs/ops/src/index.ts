export * from './service-health.module';
export * from './readiness';
