import { DynamicModule, Module } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { HubApiModule } from '@dingo/hub-api';
import { createEmbeddedMirror } from '@dingo/mirror';

/** The front door: the Hub-compatible API over the mirror chosen by config. */
@Module({})
export class GatewayModule {
  static forConfig(config: DingoConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [HubApiModule.forMirror(() => createEmbeddedMirror(config))],
    };
  }
}
