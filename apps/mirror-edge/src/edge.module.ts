import { DynamicModule, Module } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { HubApiModule } from '@dingo/hub-api';
import { createEmbeddedMirror } from '@dingo/mirror';

/**
 * A light caching node near users. The gateway speaks the Hub's protocol, so an edge is the same
 * mirror with the gateway as its only upstream: misses fill from the gateway, never from the
 * internet, and the edge keeps its own disk cache.
 */
@Module({})
export class EdgeModule {
  static forConfig(config: DingoConfig): DynamicModule {
    return { module: EdgeModule, imports: [HubApiModule.forMirror(() => createEmbeddedMirror(config))] };
  }
}
