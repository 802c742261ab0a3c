import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdminApiModule } from '@dingo/admin-api';
import { AccessModule, AUTH_ENTITIES, AUTH_MIGRATIONS } from '@dingo/auth';
import { DingoConfig } from '@dingo/config';
import { HubApiModule } from '@dingo/hub-api';
import { createMirror, Mirror } from '@dingo/mirror';
import { XetMirrorModule } from '@dingo/xet-mirror';

/** The data source holding the access tables (SQLite embedded; MySQL, migrated by the metadata app, distributed). */
function accessDataSourceOf(mirror: Mirror): DataSource {
  const ds = mirror.adapters.dataSource;
  if (!ds) throw new Error('The mirror opened no TypeORM DataSource for the access tables');
  return ds;
}

/** The front door: access control and the admin API, then the Hub-compatible API over the mirror chosen by config. */
@Module({})
export class GatewayModule {
  static forConfig(config: DingoConfig): DynamicModule {
    let mirror: Promise<Mirror> | undefined;
    const mirrorOnce = () =>
      (mirror ??= createMirror(config, {
        role: 'gateway',
        extras: { entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS },
      }));
    return {
      module: GatewayModule,
      // Order matters: the admin routes must be registered before the Hub controller's `{*path}` catch-all.
      imports: [
        AccessModule.forRoot({ config, dataSource: async () => accessDataSourceOf(await mirrorOnce()) }),
        AdminApiModule.forRoot({
          chunkStore: async () => (await mirrorOnce()).adapters.store,
          mirror: mirrorOnce,
        }),
        // Xet (token route, CAS routes) before the Hub controller's catch-all, too.
        XetMirrorModule.forRoot(config, async () => {
          const m = await mirrorOnce();
          return {
            store: m.adapters.store,
            upstream: m.router,
            offlineAccess: async (repo, authorization) => {
              const v = await m.access.forCached(repo, authorization, true);
              return v.kind === 'allow' ? 'allow' : v.kind === 'deny' ? 'deny' : 'unknown';
            },
          };
        }),
        HubApiModule.forMirror(mirrorOnce),
      ],
    };
  }
}
