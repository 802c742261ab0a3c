import { Logger } from '@nestjs/common';
import { RateLimiter } from '@dingo/concurrency';
import { ChunkFile, ChunkMissingError, ChunkStore } from '@dingo/chunk-store';
import { ChunkRecord, MetadataPort } from '@dingo/metadata-store';
import { BlockMismatchError, readCheckedBlock, readCheckedChunk } from '../read/block-checked-stream';
import { BlobLedger } from './blob-ledger';

export interface ScrubStats {
  /** Completed passes over every stored chunk. */
  passes: number;
  chunksChecked: number;
  bytesChecked: number;
  /** Chunks found rotted or missing (dropped; pulled again on demand). */
  failures: number;
}

export interface ScrubOptions {
  /** Read rate of the scrub; 0 disables it. */
  bytesPerSecond: number;
  /** Rest between two passes. */
  pauseMs: number;
}

const PAGE = 200;

/**
 * Re-reads every stored chunk in the background, at a bounded rate, through the same block checks
 * as the read path: bit rot in a chunk nobody has asked for lately is found and the chunk dropped
 * (it is pulled again when next needed) before a client could meet it.
 */
export class BlobScrubber {
  private readonly log = new Logger(BlobScrubber.name);
  private readonly limiter: RateLimiter;
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  readonly stats: ScrubStats = { passes: 0, chunksChecked: 0, bytesChecked: 0, failures: 0 };
  private buffer?: Buffer;

  constructor(
    private readonly meta: MetadataPort,
    private readonly ledger: BlobLedger,
    private readonly store: ChunkStore,
    private readonly options: ScrubOptions,
  ) {
    this.limiter = new RateLimiter(options.bytesPerSecond);
  }

  start(): void {
    if (this.options.bytesPerSecond <= 0 || this.running) return;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** One full pass over the stored chunks. */
  async pass(): Promise<void> {
    let after: { blobKey: string; index: number } | undefined;
    for (;;) {
      const page = await this.meta.scanChunks(after, PAGE);
      for (const record of page) {
        if (this.stopping.signal.aborted) return;
        await this.check(record);
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1];
      after = { blobKey: last.blobKey, index: last.index };
    }
    this.stats.passes++;
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.pass();
      } catch (err) {
        this.log.warn(`scrub pass stopped: ${(err as Error).message}`);
      }
      await sleep(this.options.pauseMs, this.stopping.signal);
    }
  }

  private async check(record: ChunkRecord): Promise<void> {
    if (!record.blockDigests) return; // from before block digests: verified when next read
    const id = { blob: record.blobKey, index: record.index };
    try {
      const file = await this.store.openFile?.(id);
      if (file) await this.checkFile(file, record);
      else
        for await (const part of await readCheckedChunk(this.store, record, 0, record.size - 1)) {
          await this.limiter.take((part as Buffer).length);
          this.stats.bytesChecked += (part as Buffer).length;
        }
      this.stats.chunksChecked++;
    } catch (err) {
      if (!(err instanceof BlockMismatchError || err instanceof ChunkMissingError)) throw err;
      this.stats.failures++;
      await this.ledger.drop(id, `scrub: ${err.message}`);
    }
  }

  /** Block by block into one reused buffer: a scrub pass leaves no garbage for the GC to chase. */
  private async checkFile(file: ChunkFile, record: ChunkRecord): Promise<void> {
    this.buffer ??= Buffer.allocUnsafeSlow(record.blockSize);
    if (this.buffer.length < record.blockSize) this.buffer = Buffer.allocUnsafeSlow(record.blockSize);
    try {
      for (let block = 0; block * record.blockSize < record.size; block++) {
        const length = await readCheckedBlock(file, record, block, this.buffer);
        await this.limiter.take(length);
        this.stats.bytesChecked += length;
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  // Stopped during a pass: the abort event has fired already and would never wake the sleeper.
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
