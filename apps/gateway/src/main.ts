import 'reflect-metadata';
import { loadConfigOrExit, runMain } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { GatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await startHubHttpApp(GatewayModule.forConfig(config), config, { adminApi: true });
}

runMain(main);
