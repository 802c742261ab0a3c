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

export interface AdminApiOptions {
  /** The mirror whose pull queues `/admin/v1/sync` feeds, and whose blobs a cache deletion frees. */
  mirror?: () => Promise<Mirror>;
  /** The catalogue `/admin/v1/catalogue` searches. */
  catalogue?: () => Promise<Catalogue>;
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
        SessionController,
        UsersController,
        TeamsController,
        GrantsController,
        TokensController,
        PoliciesController,
        CacheController,
        AuditController,
        WhoamiController,
        ...(options.mirror ? [SyncController, StorageController] : []),
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
      ],
    };
  }
}
