import 'reflect-metadata';
import { assertSharedGatewaySecrets, loadConfigOrExit, runMain } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { GatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  assertSharedGatewaySecrets(config);
  await startHubHttpApp(GatewayModule.forConfig(config), config, { adminApi: true });
}

runMain(main);
