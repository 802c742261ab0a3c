import { DynamicModule, Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { CACHE_MIRROR, CacheService } from './cache.service';
import { CacheController } from './cache.controller';
import { DocsController } from './docs.controller';
import { GrantsController } from './grants.controller';
import { GrantsService } from './grants.service';
import { PoliciesController } from './policies.controller';
import { PoliciesService } from './policies.service';
import { SessionController } from './session.controller';
import { TeamsController } from './teams.controller';
import { TeamsService } from './teams.service';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { WhoamiController } from './whoami.controller';
import { SYNC_MIRROR, SyncController } from './sync.controller';
import { StorageController } from './storage.controller';
import { StorageService } from './storage.service';
import type { Mirror } from '@dingo/mirror';
import type { Catalogue } from '@dingo/catalogue';
import { CATALOGUE, CatalogueController } from './catalogue.controller';
import { ConsoleController } from './console.controller';
import { DashboardController, METRICS_REGISTRY } from './dashboard.controller';
import type { Registry } from 'prom-client';

export interface AdminApiOptions {
  /** The mirror whose pull queues `/admin/v1/sync` feeds, and whose blobs a cache deletion frees. */
  mirror?: () => Promise<Mirror>;
  /** The catalogue `/admin/v1/catalogue` searches. */
  catalogue?: () => Promise<Catalogue>;
  /** The registry the Hub surface's metrics live in: the dashboard's counters. */
  metrics?: Registry;
  /** Serve the web console (apps/console, built to dist/console) at `/console`. */
  console?: boolean;
}

/**
 * The admin REST API under `/admin/v1` (and the Hub's `/api/whoami-v2` for mirror tokens). Needs
 * AccessModule (global). Import it before the Hub surface: the Hub controller's catch-all would
 * otherwise answer these paths.
 */
@Module({})
export class AdminApiModule {
  static forRoot(options: AdminApiOptions = {}): DynamicModule {
    return {
      module: AdminApiModule,
      controllers: [
        DocsController,
        ...(options.console ? [ConsoleController] : []),
        SessionController,
        UsersController,
        TeamsController,
        GrantsController,
        TokensController,
        PoliciesController,
        CacheController,
        AuditController,
        WhoamiController,
        ...(options.mirror ? [SyncController, StorageController, DashboardController] : []),
        ...(options.catalogue ? [CatalogueController] : []),
      ],
      providers: [
        UsersService,
        TeamsService,
        GrantsService,
        TokensService,
        PoliciesService,
        AuditQueryService,
        CacheService,
        StorageService,
        ...(options.mirror
          ? [
              { provide: SYNC_MIRROR, useFactory: options.mirror },
              { provide: CACHE_MIRROR, useExisting: SYNC_MIRROR },
            ]
          : []),
        ...(options.catalogue ? [{ provide: CATALOGUE, useFactory: options.catalogue }] : []),
        ...(options.metrics ? [{ provide: METRICS_REGISTRY, useValue: options.metrics }] : []),
      ],
    };
  }
}
