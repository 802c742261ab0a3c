export * from './config.schema';
export { loadConfig, parseSize, ConfigError } from './load-config';
