import { join } from 'node:path';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { resolveJwtSecret } from '@dingo/auth';
import { DingoConfig } from '@dingo/config';
import { LocalNamespaces, PublicBase } from '@dingo/contracts';
import { MetadataPort } from '@dingo/metadata-store';
import { Mirror } from '@dingo/mirror';
import { HostedCommitsController } from './hosted-commits.controller';
import { HostedLfs } from './hosted-lfs';
import { HostedLfsController } from './hosted-lfs.controller';
import { HostedMultipartController } from './hosted-multipart.controller';
import { MultipartParts } from './multipart-parts';
import { HostedReads } from './hosted-reads';
import { HostedReposController } from './hosted-repos.controller';
import { HostedRepos } from './hosted-repos';
import { HostedStore } from './hosted-store';
import { HostedWrites } from './hosted-writes';
import { UpstreamPassThrough } from './upstream-pass-through';
import { PrivateReadInterceptor } from './private-read.interceptor';
import { ANONYMOUS_READ, HOSTED_MIRROR } from './hosted-tokens';
import { HostedListingController } from './hosted-listing.controller';

/** Objects above max(chunk size, this) go multipart when the client offers it. */
const MIN_PART_SIZE = 8 * 1024 * 1024;

export interface HostedDeps {
  mirror: Mirror;
  meta: MetadataPort;
  dataSource: DataSource;
}

/**
 * Hosted repos: the Hub's write API and the LFS routes (registered before the Hub catch-all), and
 * the hosted source plugged into the mirror so resolve/tree/paths-info serve hosted repos.
 */
@Module({})
export class HostedModule {
  static forRoot(config: DingoConfig, deps: () => Promise<HostedDeps>): DynamicModule {
    const repos = async () => {
      const d = await deps();
      const hosted = new HostedRepos(
        new LocalNamespaces(config.localNamespaces),
        new HostedStore(d.dataSource),
        d.meta,
      );
      d.mirror.useHostedSource(new HostedReads(hosted));
      d.mirror.retainBlobs(() => hosted.blobKeys());
      return hosted;
    };
    return {
      module: HostedModule,
      controllers: [
        HostedListingController,
        HostedReposController,
        HostedCommitsController,
        HostedLfsController,
        HostedMultipartController,
      ],
      providers: [
        { provide: HostedRepos, useFactory: repos },
        {
          provide: HostedWrites,
          useFactory: async (r: HostedRepos) => new HostedWrites(r, (await deps()).mirror),
          inject: [HostedRepos],
        },
        {
          provide: HostedLfs,
          useFactory: async (r: HostedRepos) =>
            new HostedLfs(
              r,
              (await deps()).mirror,
              resolveJwtSecret(config),
              new MultipartParts(join(config.dataDir, 'hosted-parts')),
              Math.max(config.chunkSizeBytes, MIN_PART_SIZE),
            ),
          inject: [HostedRepos],
        },
        { provide: PublicBase, useValue: new PublicBase(config) },
        {
          provide: UpstreamPassThrough,
          useFactory: (base: PublicBase) => new UpstreamPassThrough(async () => (await deps()).mirror, base),
          inject: [PublicBase],
        },
        { provide: ANONYMOUS_READ, useValue: config.auth.anonymousRead },
        { provide: HOSTED_MIRROR, useValue: async () => (await deps()).mirror },
        { provide: APP_INTERCEPTOR, useClass: PrivateReadInterceptor },
      ],
    };
  }
}
