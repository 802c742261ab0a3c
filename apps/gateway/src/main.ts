import 'reflect-metadata';
import { ConfigError, loadConfig } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { GatewayModule } from './gateway.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  await startHubHttpApp(GatewayModule.forConfig(config), config);
}

void main();
