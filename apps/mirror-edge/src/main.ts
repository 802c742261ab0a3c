import 'reflect-metadata';
import { loadConfigOrExit, runMain } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { EdgeModule } from './edge.module';

async function main(): Promise<void> {
  if (!process.env.DINGO_UPSTREAMS && !process.env.DINGO_CONFIG) {
    console.error('mirror-edge needs DINGO_UPSTREAMS set to the gateway URL(s), e.g. http://gateway:8090');
    process.exit(2);
  }
  const config = loadConfigOrExit({ port: 8091, mode: 'embedded', memoryCacheBytes: 512 * 1024 * 1024 });
  await startHubHttpApp(EdgeModule.forConfig(config), config);
}

runMain(main);
