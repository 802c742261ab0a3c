export * from './config.schema';
export {
  loadConfig,
  loadConfigOrExit,
  parseSize,
  ConfigError,
  StartupError,
  runMain,
  assertSharedGatewaySecrets,
} from './load-config';
export * from './redis-options';
export * from './version';
