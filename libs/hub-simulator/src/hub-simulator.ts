import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AccessPolicy } from './access-policy';
import { CdnController } from './cdn-controller';
import { CdnUrlSigner } from './cdn-url-signer';
import { ContentStore } from './content-store';
import { FaultInjector } from './fault-injector';
import { HubRequestHandler } from './hub-request-handler';
import { RepoRegistry } from './repo-registry';
import { ResponseWriter } from './response-writer';
import { repoUrlPrefix, type SimContext } from './sim-context';
import { buildRepo } from './sim-repo';
import { StatsRecorder } from './stats-recorder';
import { XetCasController } from './xet-cas-controller';
import { XetCasStore } from './xet-cas-store';
import { XetTokenIssuer, XorbUrlSigner } from './xet-tokens';
import { XetCompression, XORB_MAX_BYTES } from '@dingo/xet';
import type { SimFault, SimOptions, SimRepo, SimRepoSpec, SimRepoType, SimStats } from './types';

/**
 * A fake HuggingFace Hub on loopback (or `host`): a hub origin (resolve + API) and a separate CDN origin
 * serving LFS bytes behind signed redirects, with injectable faults, throttling and counters.
 */
export class HubSimulator {
  private readonly registry = new RepoRegistry();
  private readonly faults = new FaultInjector();
  private readonly statsRecorder: StatsRecorder;
  private readonly store: ContentStore;
  private readonly hubServer: Server;
  private readonly cdnServer: Server;
  private readonly casServer: Server;
  private readonly xetStore: XetCasStore;
  private readonly xetTokens: XetTokenIssuer;
  private readonly sockets = new Set<Socket>();
  private hubPort: number;
  private cdnPort: number;
  private readonly host: string;
  private casPort: number;

  private constructor(private readonly opts: SimOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.hubPort = opts.port ?? 0;
    this.cdnPort = opts.cdnPort ?? 0;
    this.casPort = opts.casPort ?? 0;
    this.store = new ContentStore(opts.dataDir);
    this.xetStore = new XetCasStore(opts.dataDir, {
      compression: COMPRESSION[opts.xetCompression ?? 'lz4'],
      xorbBytes: opts.xetXorbBytes ?? XORB_MAX_BYTES,
    });
    this.xetTokens = new XetTokenIssuer(opts.xetTokenTtlSeconds ?? 3600);
    this.statsRecorder = new StatsRecorder((sha) => this.registry.pathsOf(sha));
    const writer = new ResponseWriter(this.statsRecorder, this.faults, {
      latencyMs: opts.latencyMs ?? 0,
      bandwidthPerConnection: opts.bandwidthPerConnection ?? 0,
      bandwidthTotal: opts.bandwidthTotal ?? 0,
    });
    const ctx: SimContext = {
      registry: this.registry,
      policy: new AccessPolicy(opts.tokens ?? {}, (repo) => `${this.url}/${repoUrlPrefix(repo)}${repo.id}`),
      signer: new CdnUrlSigner(opts.cdnUrlTtlSeconds ?? 3600),
      hubUrl: '',
      cdnUrl: '',
      casUrl: '',
      xetStore: this.xetStore,
      xetTokens: this.xetTokens,
      xorbSigner: new XorbUrlSigner(opts.cdnUrlTtlSeconds ?? 3600),
      xetReconstructionV2: opts.xetReconstructionV2 ?? true,
      treePageSize: opts.treePageSize,
      gzipTextFiles: opts.gzipTextFiles ?? false,
    };
    Object.defineProperties(ctx, {
      hubUrl: { get: () => this.url },
      cdnUrl: { get: () => this.cdnUrl },
      casUrl: { get: () => this.casUrl },
    });
    const hub = new HubRequestHandler(ctx, writer);
    const cdn = new CdnController(ctx, writer);
    const cas = new XetCasController(ctx, writer);
    this.hubServer = this.makeServer((req, res) => hub.handle(req, res));
    this.cdnServer = this.makeServer((req, res) => cdn.handle(req, res));
    this.casServer = this.makeServer((req, res) => cas.handle(req, res));
  }

  static async start(opts: SimOptions): Promise<HubSimulator> {
    const sim = new HubSimulator(opts);
    await sim.store.init();
    await sim.listen();
    return sim;
  }

  /** The hub origin, e.g. 'http://127.0.0.1:PORT'. */
  get url(): string {
    return `http://${this.host}:${this.hubPort}`;
  }

  /** The CDN origin LFS redirects point to. */
  get cdnUrl(): string {
    return `http://${this.opts.cdnHost ?? this.host}:${this.cdnPort}`;
  }

  /** The Xet CAS origin `xet-read-token` sends clients to (reconstructions; xorb bytes come from the CDN). */
  get casUrl(): string {
    return `http://${this.host}:${this.casPort}`;
  }

  /** New `xet-read-token` tokens live this long (tests shorten it to exercise refresh). */
  setXetTokenTtl(seconds: number): void {
    this.xetTokens.setTtl(seconds);
  }

  get stats(): SimStats {
    return this.statsRecorder;
  }

  /** Adds (or replaces, e.g. to push new commits upstream) a repo; writes new contents into dataDir. */
  async addRepo(spec: SimRepoSpec): Promise<SimRepo> {
    const repo = await buildRepo(spec, this.store, this.xetStore);
    this.registry.put(repo);
    return repo;
  }

  repo(type: SimRepoType, id: string): SimRepo | undefined {
    return this.registry.get(type, id);
  }

  /** `match` is tested against the request path + query on both origins; the fault fires `times` times. */
  injectFault(match: RegExp, fault: SimFault, times = 1): void {
    this.faults.add(match, fault, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Closes both servers and destroys open sockets: the upstream goes offline. */
  async stop(): Promise<void> {
    const closing = [this.hubServer, this.cdnServer, this.casServer].map(
      (server) =>
        new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
    );
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(closing);
  }

  /** Listens again on the same ports: the upstream comes back. */
  async restart(): Promise<void> {
    await this.listen();
  }

  private async listen(): Promise<void> {
    this.hubPort = await listenOn(this.hubServer, this.host, this.hubPort);
    this.cdnPort = await listenOn(this.cdnServer, this.opts.cdnHost ?? this.host, this.cdnPort);
    this.casPort = await listenOn(this.casServer, this.host, this.casPort);
  }

  private makeServer(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
    const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, (req, res) => {
      handler(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A client that vanishes mid-request must not take the simulator down.
    server.on('clientError', (_err, socket) => socket.destroy());
    return server;
  }
}

const COMPRESSION: Record<NonNullable<SimOptions['xetCompression']>, XetCompression> = {
  none: XetCompression.None,
  lz4: XetCompression.Lz4,
  'bg4-lz4': XetCompression.ByteGrouping4Lz4,
};

function listenOn(server: Server, host: string, port: number): Promise<number> {
  if (server.listening) return Promise.resolve((server.address() as AddressInfo).port);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
