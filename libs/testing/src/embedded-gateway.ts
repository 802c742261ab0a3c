import type { INestApplication } from '@nestjs/common';
import { DingoConfigInput, loadConfig } from '@dingo/config';
import { startHubHttpApp } from '@dingo/hub-api';
import { Mirror, MIRROR_ADAPTERS, MirrorAdapters } from '@dingo/mirror';
import { tempDir } from './temp-dir';

export interface RunningGateway {
  url: string;
  app: INestApplication;
  mirror: Mirror;
  /** The stores behind the mirror, for tests that inspect or damage what it keeps. */
  adapters: MirrorAdapters;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded gateway in this process on an ephemeral loopback port. The root module is
 * passed in (apps/gateway's GatewayModule) so this lib does not depend on an app.
 */
export async function startEmbeddedGateway(
  rootModuleFor: (config: ReturnType<typeof loadConfig>) => unknown,
  overrides: DingoConfigInput,
): Promise<RunningGateway> {
  const dir = overrides.dataDir ? undefined : tempDir('gateway');
  const config = loadConfig(
    {},
    {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'error',
      dataDir: dir?.path,
      shutdownGraceSeconds: 1,
      ...overrides,
    },
  );
  const { app, url } = await startHubHttpApp(rootModuleFor(config), config);
  return {
    url,
    app,
    mirror: app.get(Mirror),
    adapters: app.get<MirrorAdapters>(MIRROR_ADAPTERS),
    dataDir: config.dataDir,
    async close() {
      await app.close();
      dir?.cleanup();
    },
  };
}
