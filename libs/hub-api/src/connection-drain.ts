import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Mirror } from '@dingo/mirror';

/**
 * On shutdown the server stops accepting connections and idle keep-alive ones close at once;
 * downloads in flight get `shutdownGraceSeconds` to finish, then every connection is closed, so
 * a stop never hangs on a client (clients resume with Range against another node).
 */
@Injectable()
export class ConnectionDrain implements BeforeApplicationShutdown {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(Mirror) private readonly mirror: Mirror,
  ) {}

  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), this.mirror.config.shutdownGraceSeconds * 1000).unref();
  }
}
