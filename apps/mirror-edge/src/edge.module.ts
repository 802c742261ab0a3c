import { DynamicModule, Module } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { attachEdgePeers, EdgePeersModule } from '@dingo/edge-peers';
import { HubApiModule } from '@dingo/hub-api';
import {
  createEmbeddedAdapters,
  Mirror,
  MIRROR_ADAPTERS,
  MirrorAdapters,
  runMirrorWorkers,
} from '@dingo/mirror';

/**
 * A light caching node near users. The gateway speaks the Hub's protocol, so an edge is the same
 * mirror with the gateway as its only upstream: misses fill from the gateway, never from the
 * internet, and the edge keeps its own disk cache and works its own pull queue. Edges on a LAN
 * share chunks (libs/edge-peers): a missing chunk is asked of peer edges before the gateway.
 */
@Module({})
export class EdgeModule {
  static forConfig(config: DingoConfig): DynamicModule {
    let built: Promise<{ edge: Mirror; adapters: MirrorAdapters }> | undefined;
    const build = () =>
      (built ??= createEmbeddedAdapters(config).then((adapters) => {
        const edge = new Mirror(config, adapters);
        // LAN peers (static list, Redis registry) are asked for a chunk before the gateway.
        attachEdgePeers(edge, config);
        runMirrorWorkers(edge, adapters, config);
        return { edge, adapters };
      }));
    return {
      module: EdgeModule,
      // The peer routes must be registered before the Hub controller's `{*path}` catch-all.
      imports: [
        EdgePeersModule.forEdge(config, async () => (await build()).edge),
        HubApiModule.forMirror(async () => (await build()).edge),
      ],
      providers: [{ provide: MIRROR_ADAPTERS, useFactory: async () => (await build()).adapters }],
    };
  }
}
