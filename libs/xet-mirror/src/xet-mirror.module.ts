import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import type { DingoConfig } from '@dingo/config';
import { PublicBase, RESOLVE_HEADERS } from '@dingo/contracts';
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
 * The Xet surface of the gateway, in `serve` mode (empty in `http` mode). Import it BEFORE the Hub
 * API module (whose catch-all would take the routes). It registers the token route and the CAS
 * routes, and provides `XetMirror` and, as the file responder's RESOLVE_HEADERS, its `advisor`
 * (the mirror's Xet headers on resolve answers of Xet-backed files). Whether tree / paths-info
 * listings keep `xetHash` is the API proxy's (it follows the same mode).
 */
@Module({})
export class XetMirrorModule {
  static forRoot(config: DingoConfig, deps: () => Promise<XetMirrorDeps>): DynamicModule {
    // HTTP-only: nothing to serve, no index, no tokens; the API proxy keeps listings Xet-free.
    if (config.xet.mode !== 'serve') return { module: XetMirrorModule };
    return {
      module: XetMirrorModule,
      global: true,
      controllers: [XetTokenController, XetCasController],
      providers: [
        { provide: XetMirror, useFactory: async () => new XetMirror(config, await deps()) },
        {
          provide: XetMirrorLifecycle,
          useFactory: (x: XetMirror) => new XetMirrorLifecycle(x),
          inject: [XetMirror],
        },
        { provide: RESOLVE_HEADERS, useFactory: (x: XetMirror) => x.advisor, inject: [XetMirror] },
        { provide: PublicBase, useValue: new PublicBase(config) },
      ],
      exports: [XetMirror, RESOLVE_HEADERS],
    };
  }
}
