export * from './config.schema';
export { loadConfig, loadConfigOrExit, parseSize, ConfigError } from './load-config';
export * from './redis-options';
