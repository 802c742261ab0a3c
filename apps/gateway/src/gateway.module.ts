import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AdminApiModule } from '@dingo/admin-api';
import { AccessModule, AUTH_ENTITIES, AUTH_MIGRATIONS } from '@dingo/auth';
import { Catalogue, CATALOGUE_ENTITIES, CATALOGUE_MIGRATIONS } from '@dingo/catalogue';
import { DingoConfig } from '@dingo/config';
import { EdgePeersModule } from '@dingo/edge-peers';
import { HOSTED_ENTITIES, HOSTED_MIGRATIONS, HostedModule } from '@dingo/hosted';
import { HubApiModule } from '@dingo/hub-api';
import { XetMirrorModule } from '@dingo/xet-mirror';
import {
  createMirrorAdapters,
  Mirror,
  MIRROR_ADAPTERS,
  MirrorAdapters,
  runMirrorWorkers,
} from '@dingo/mirror';

/**
 * The mirror this gateway serves, over the adapters its mode chooses. Embedded, the gateway also
 * works the pull queues itself; distributed, the sync-workers do.
 */
async function buildMirror(
  config: DingoConfig,
): Promise<{ mirror: Mirror; adapters: MirrorAdapters; catalogue: Catalogue }> {
  const adapters = await createMirrorAdapters(config, {
    role: 'gateway',
    extras: {
      entities: [...AUTH_ENTITIES, ...CATALOGUE_ENTITIES, ...HOSTED_ENTITIES],
      migrations: [...AUTH_MIGRATIONS, ...CATALOGUE_MIGRATIONS, ...HOSTED_MIGRATIONS],
    },
  });
  const mirror = new Mirror(config, adapters);
  if (config.mode === 'embedded') runMirrorWorkers(mirror, adapters, config);
  // The catalogue lives in the metadata database too; it learns from the mirror's info answers and downloads.
  const catalogue = new Catalogue(adapters.dataSource!, (repo, auth) => mirror.mayServeCached(repo, auth));
  mirror.observeRepos(catalogue.recorder);
  mirror.serveListingsLocally((req) => catalogue.listing(req));
  return { mirror, adapters, catalogue };
}

/** The front door: access control and the admin API, then the Hub-compatible API over the mirror chosen by config. */
@Module({})
export class GatewayModule {
  static forConfig(config: DingoConfig): DynamicModule {
    let built: ReturnType<typeof buildMirror> | undefined;
    const build = () => (built ??= buildMirror(config));
    const mirror = async () => (await build()).mirror;
    // The access tables live in the metadata database (SQLite embedded; MySQL, migrated by the metadata app).
    const dataSource = async () => {
      const ds = (await build()).adapters.dataSource;
      if (!ds) throw new Error('The mirror opened no TypeORM DataSource for the access tables');
      return ds;
    };
    // `/metrics` and the admin dashboard read the same counters.
    const metrics = new Registry();
    return {
      module: GatewayModule,
      // Order matters: the admin routes must be registered before the Hub controller's `{*path}` catch-all.
      imports: [
        AccessModule.forRoot({ config, dataSource }),
        AdminApiModule.forRoot({
          mirror,
          catalogue: async () => (await build()).catalogue,
          metrics,
          console: true,
        }),
        // The Xet token and CAS routes (serve mode) must also come before the catch-all.
        XetMirrorModule.forRoot(config, async () => {
          const built = await build();
          return {
            store: built.adapters.store,
            upstream: { send: (req) => built.mirror.sendUpstream(req) },
            offlineAccess: (repo, authorization) => built.mirror.offlineVerdict(repo, authorization),
            registerCachedSource: (holds) => built.mirror.addCachedElsewhere(holds),
          };
        }),
        // Hosted repos' write and LFS routes, also before the catch-all.
        HostedModule.forRoot(config, async () => {
          const built = await build();
          return { mirror: built.mirror, meta: built.adapters.meta, dataSource: await dataSource() };
        }),
        // The chunk sha256 edges check their LAN peers' copies against, before the catch-all.
        EdgePeersModule.forGateway(mirror),
        HubApiModule.forMirror(mirror, metrics),
      ],
      providers: [{ provide: MIRROR_ADAPTERS, useFactory: async () => (await build()).adapters }],
    };
  }
}
