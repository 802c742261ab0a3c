import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { growingLru } from '@dingo/concurrency';
import { Agent, request } from 'undici';
import { BlobPlan, ChunkPeers, PeerOffer } from '@dingo/mirror';
import { PeerDirectory } from './peer-directory';

export const PEER_CHUNK_PATH = '/_dingo/peer/chunks';
export const CHUNK_SHA256_PATH = '/_dingo/chunk-sha256';

/** How long a peer is skipped after it sent bytes that are not the chunk, and after it failed. */
const REJECTED_SKIP_MS = 10 * 60_000;
const FAILED_SKIP_MS = 30_000;
const ADVERT_TTL_MS = 2_000;

/**
 * The mirror's `ChunkPeers` on an edge: asks the live peers that advertise a chunk for it, and the
 * gateway (the edge's upstream, trusted) for the chunk's sha256, which the puller checks the
 * peer's bytes against. A peer is never trusted: no redirect from it is followed (undici follows none), and a chunk with
 * no trusted hash (the gateway does not hold the chunk) is not taken from a peer at all.
 */
export class PeerChunkFetcher implements ChunkPeers {
  private readonly log = new Logger(PeerChunkFetcher.name);
  private readonly agent: Agent;
  private readonly hashes = growingLru<string, string>(4_096);
  private readonly adverts = new LRUCache<string, Promise<Set<number>>>({ max: 1_000, ttl: ADVERT_TTL_MS });

  constructor(
    private readonly directory: PeerDirectory,
    private readonly gateways: string[],
    private readonly timeoutMs: number,
  ) {
    this.agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  }

  async offer(
    plan: BlobPlan,
    index: number,
    exclude: ReadonlySet<string>,
    signal: AbortSignal,
  ): Promise<PeerOffer | undefined> {
    const candidates = this.directory.live().filter((p) => !exclude.has(p));
    if (!candidates.length) return undefined;
    const holders: string[] = [];
    await Promise.all(
      candidates.map(async (peer) => {
        if ((await this.advert(peer, plan, signal)).has(index)) holders.push(peer);
      }),
    );
    if (!holders.length) return undefined;
    // No trusted hash (the gateway does not hold the chunk): no peer's copy could be checked.
    const sha256 = await this.trustedSha256(plan, index, signal);
    if (!sha256) return undefined;
    // Spread the load: peers that hold the chunk are asked in a random order.
    holders.sort(() => Math.random() - 0.5);
    for (const peer of holders) {
      const url = `${peer}${PEER_CHUNK_PATH}/${encodeURIComponent(plan.key)}/${index}?chunkSize=${plan.chunkSize}`;
      let res;
      try {
        res = await request(url, { dispatcher: this.agent, signal });
      } catch (err) {
        this.failed(peer, err as Error);
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        if (res.statusCode !== 404) this.failed(peer, new Error(`answered ${res.statusCode}`));
        continue;
      }
      const body = res.body;
      return { peer, sha256, body, cancel: () => body.destroy() };
    }
    return undefined;
  }

  rejected(peer: string, why: string): void {
    this.adverts.clear();
    this.directory.skip(peer, REJECTED_SKIP_MS, `served a chunk that failed its sha256 check (${why})`);
  }

  failed(peer: string, err: Error): void {
    this.directory.skip(peer, FAILED_SKIP_MS, err.message);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Which chunks of the blob a peer holds (its advert), cached briefly; empty if it cannot say. */
  private advert(peer: string, plan: BlobPlan, signal: AbortSignal): Promise<Set<number>> {
    const key = `${peer} ${plan.key}`;
    let held = this.adverts.get(key);
    if (!held) {
      held = (async () => {
        try {
          const res = await request(`${peer}${PEER_CHUNK_PATH}/${encodeURIComponent(plan.key)}`, {
            dispatcher: this.agent,
            signal,
          });
          if (res.statusCode !== 200) {
            await res.body.dump().catch(() => undefined);
            return new Set<number>();
          }
          const advert = (await res.body.json()) as { chunkSize?: number; indexes?: unknown };
          if (advert.chunkSize !== plan.chunkSize || !Array.isArray(advert.indexes)) return new Set<number>();
          return new Set(advert.indexes.filter((i): i is number => Number.isInteger(i)));
        } catch (err) {
          if (!signal.aborted) this.failed(peer, err as Error);
          return new Set<number>();
        }
      })();
      this.adverts.set(key, held);
    }
    return held;
  }

  /** The chunk's sha256 as the gateway computed it from its stored copy; undefined if it cannot say. */
  private async trustedSha256(
    plan: BlobPlan,
    index: number,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const key = `${plan.key}#${index}@${plan.chunkSize}`;
    const known = this.hashes.get(key);
    if (known) return known;
    for (const gateway of this.gateways) {
      try {
        const res = await request(
          `${gateway.replace(/\/+$/, '')}${CHUNK_SHA256_PATH}/${encodeURIComponent(plan.key)}/${index}?chunkSize=${plan.chunkSize}`,
          { dispatcher: this.agent, signal },
        );
        if (res.statusCode !== 200) {
          await res.body.dump().catch(() => undefined);
          continue;
        }
        const { sha256 } = (await res.body.json()) as { sha256?: unknown };
        if (typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256)) {
          this.hashes.set(key, sha256);
          return sha256;
        }
      } catch (err) {
        this.log.debug(`chunk sha256 from ${gateway}: ${(err as Error).message}`);
      }
    }
    return undefined;
  }
}
