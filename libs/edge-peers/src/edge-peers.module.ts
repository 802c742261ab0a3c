import { Controller, DynamicModule, Get, Inject, Module, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimiter } from '@dingo/concurrency';
import { DingoConfig } from '@dingo/config';
import { PublicRoute } from '@dingo/contracts';
import { HubError } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { PeerChunkFetcher } from './peer-chunk-fetcher';
import { PeerDirectory } from './peer-directory';

const PEERS_MIRROR = Symbol('edge-peers mirror');
const PEER_SERVING = Symbol('edge-peers serving');

const BLOB_KEY = /^(sha256-[0-9a-f]{64}|gitsha1-[0-9a-f]{40})$/;

/** What this edge served to its peers. */
export interface PeerServing {
  limiter: RateLimiter;
  servedChunks: number;
  servedBytes: number;
}

function chunkArgs(blob: string, index: string, chunkSize: string): { index: number; chunkSize: number } {
  const i = Number(index);
  const size = Number(chunkSize);
  if (!BLOB_KEY.test(blob) || !Number.isInteger(i) || i < 0 || !Number.isInteger(size) || size <= 0)
    throw HubError.notFound('No such chunk');
  return { index: i, chunkSize: size };
}

/**
 * An edge's side of LAN sharing: the chunks it stores, served to peers (each block checked against
 * its digest as it is read; the receiver checks the whole chunk against the gateway's sha256), and
 * its advert of which chunks of a blob it holds. Peers are LAN nodes the operator configured: these
 * routes serve any stored chunk by blob id, so the edge port must not be exposed beyond them.
 */
@Controller('_dingo/peer')
export class PeerChunkController {
  constructor(
    @Inject(PEERS_MIRROR) private readonly mirror: Mirror,
    @Inject(PEER_SERVING) private readonly serving: PeerServing,
  ) {}

  @PublicRoute()
  @Get('stats')
  stats() {
    const { servedChunks, servedBytes } = this.serving;
    return { ...this.mirror.peerStats(), servedChunks, servedBytes };
  }

  @PublicRoute()
  @Get('chunks/:blob')
  async advert(@Param('blob') blob: string) {
    if (!BLOB_KEY.test(blob)) throw HubError.notFound('No such blob');
    const held = await this.mirror.sharedChunks(blob);
    if (!held) throw HubError.notFound('No such blob');
    return held;
  }

  @PublicRoute()
  @Get('chunks/:blob/:index')
  async chunk(
    @Param('blob') blob: string,
    @Param('index') index: string,
    @Query('chunkSize') chunkSize: string,
    @Res() res: Response,
  ): Promise<void> {
    const args = chunkArgs(blob, index, chunkSize);
    const chunk = await this.mirror.sharedChunk(blob, args.index, args.chunkSize);
    if (!chunk) throw HubError.notFound('No such chunk');
    res.status(200).set({ 'content-type': 'application/octet-stream', 'content-length': String(chunk.size) });
    res.flushHeaders();
    try {
      for await (const part of chunk.body as AsyncIterable<Buffer>) {
        await this.serving.limiter.take(part.length);
        if (!res.write(part)) await new Promise((r) => res.once('drain', r));
        this.serving.servedBytes += part.length;
      }
      this.serving.servedChunks++;
      res.end();
    } catch {
      chunk.body.destroy();
      res.destroy();
    }
  }
}

/**
 * The gateway's side: the sha256 of a chunk it stores, which edges check their peers'
 * copies against. It reveals a hash of content only to a caller who already names the blob's hash.
 */
@Controller('_dingo')
export class ChunkDigestController {
  constructor(@Inject(PEERS_MIRROR) private readonly mirror: Mirror) {}

  @PublicRoute()
  @Get('chunk-sha256/:blob/:index')
  async sha256(
    @Param('blob') blob: string,
    @Param('index') index: string,
    @Query('chunkSize') chunkSize: string,
  ) {
    const args = chunkArgs(blob, index, chunkSize);
    const sha256 = await this.mirror.chunkSha256(blob, args.index, args.chunkSize);
    if (!sha256) throw HubError.notFound('No such chunk');
    return { blob, index: args.index, chunkSize: args.chunkSize, sha256 };
  }
}

/** Mount before the Hub controller's catch-all (Nest registers routes in module order). */
@Module({})
export class EdgePeersModule {
  /** An edge: serves its chunks to peers. */
  static forEdge(config: DingoConfig, mirror: () => Promise<Mirror>): DynamicModule {
    const serving: PeerServing = {
      limiter: new RateLimiter(config.edge.peerServeBytesPerSec),
      servedChunks: 0,
      servedBytes: 0,
    };
    return {
      module: EdgePeersModule,
      controllers: [PeerChunkController],
      providers: [
        { provide: PEERS_MIRROR, useFactory: mirror },
        { provide: PEER_SERVING, useValue: serving },
      ],
    };
  }

  /** A gateway: tells edges the sha256 of the chunks it stores. */
  static forGateway(mirror: () => Promise<Mirror>): DynamicModule {
    return {
      module: EdgePeersModule,
      controllers: [ChunkDigestController],
      providers: [{ provide: PEERS_MIRROR, useFactory: mirror }],
    };
  }
}

/**
 * Makes the edge's mirror ask its LAN peers for missing chunks before the gateway: the static
 * `edge.peers`, plus the edges registered in Redis when `redisUrl` and `edge.advertiseUrl` are set.
 * Returns undefined (nothing attached) when the edge has no way to find a peer.
 */
export function attachEdgePeers(
  mirror: Mirror,
  config: DingoConfig,
): { directory: PeerDirectory; fetcher: PeerChunkFetcher } | undefined {
  const { peers, advertiseUrl, peerTimeoutMs } = config.edge;
  const registry = config.redisUrl && advertiseUrl ? config.redisUrl : undefined;
  if (!peers.length && !registry) return undefined;
  const directory = new PeerDirectory(peers, advertiseUrl);
  if (registry) directory.useRedisRegistry(registry, `${config.namespace}:edge:peers`);
  const fetcher = new PeerChunkFetcher(directory, config.upstreams, peerTimeoutMs);
  mirror.useChunkPeers(fetcher);
  return { directory, fetcher };
}
