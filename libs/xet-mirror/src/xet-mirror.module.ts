import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import type { DingoConfig } from '@dingo/config';
import { LISTING_REWRITE, RESOLVE_HEADERS } from '@dingo/hub-api';
import { XetCasController } from './xet-cas.controller';
import { XetMirror, type XetMirrorDeps } from './xet-mirror';
import { XetTokenController } from './xet-token.controller';

class XetMirrorLifecycle implements OnApplicationShutdown {
  constructor(private readonly xet: XetMirror) {}
  async onApplicationShutdown(): Promise<void> {
    await this.xet.close();
  }
}

/**
 * The Xet surface of the gateway. Import it BEFORE the Hub API module (whose catch-all would take
 * the routes). In `serve` mode it registers the token route and the CAS routes; in either mode it
 * provides `XetMirror` and, as the Hub controller's RESOLVE_HEADERS, its `advisor` (what resolve
 * answers carry about Xet: the mirror's Xet headers in serve mode, nothing in http mode) and, as
 * LISTING_REWRITE, what tree / paths-info listings keep (`xetHash` in serve mode only).
 */
@Module({})
export class XetMirrorModule {
  static forRoot(config: DingoConfig, deps: () => Promise<XetMirrorDeps>): DynamicModule {
    return {
      module: XetMirrorModule,
      global: true,
      controllers: config.xet.mode === 'serve' ? [XetTokenController, XetCasController] : [],
      providers: [
        { provide: XetMirror, useFactory: async () => new XetMirror(config, await deps()) },
        {
          provide: XetMirrorLifecycle,
          useFactory: (x: XetMirror) => new XetMirrorLifecycle(x),
          inject: [XetMirror],
        },
        { provide: RESOLVE_HEADERS, useFactory: (x: XetMirror) => x.advisor, inject: [XetMirror] },
        { provide: LISTING_REWRITE, useFactory: (x: XetMirror) => x.advisor, inject: [XetMirror] },
      ],
      exports: [XetMirror, RESOLVE_HEADERS, LISTING_REWRITE],
    };
  }
}
