import 'reflect-metadata';
import { ConfigError, loadConfig } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { EdgeModule } from './edge.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { port: Number(process.env.DINGO_PORT ?? 8091) });
    if (!process.env.DINGO_UPSTREAMS && !process.env.DINGO_CONFIG) {
      throw new ConfigError('mirror-edge needs DINGO_UPSTREAMS set to the gateway URL(s), e.g. http://gateway:8090');
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  await startHubHttpApp(EdgeModule.forConfig(config), config);
}

void main();
