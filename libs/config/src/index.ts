export * from './config.schema';
export { loadConfig, loadConfigOrExit, parseSize, ConfigError, StartupError, runMain } from './load-config';
export * from './redis-options';
export * from './version';
