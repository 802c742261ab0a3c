import { Readable, Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { VerifyingStream } from '@dingo/concurrency';
import { chunkName, ChunkMissingError, ChunkStore } from '@dingo/chunk-store';
import { LRUCache } from 'lru-cache';
import { ChunkRecord, MetadataPort } from '@dingo/metadata-store';
import { JobQueue, PRIORITY } from '@dingo/jobs';
import { BlobPlan, chunkBounds, chunkCount } from './blob-plan';
import { ChunkPuller } from './chunk-puller';
import { FileSource } from './located-file';

export interface ReadAheadJob {
  plan: BlobPlan;
  index: number;
  source: FileSource;
}

/**
 * Streams any byte range of a blob, chunk by chunk: from the store when the chunk is there, else
 * by joining (or starting) its upstream pull. While a client reads chunk i of an incomplete blob,
 * the next chunks are pulled in parallel so a cold download is not limited to one connection.
 */
export class BlobReader {
  private readonly log = new Logger(BlobReader.name);

  constructor(
    private readonly store: ChunkStore,
    private readonly meta: MetadataPort,
    private readonly puller: ChunkPuller,
    private readonly readAhead: JobQueue<ReadAheadJob>,
    private readonly readAheadChunks: number,
    private readonly verifyOnRead: boolean,
  ) {}

  /**
   * Chunks this process has re-hashed, by store fingerprint (inode, mtime, size; ETag on S3): a
   * chunk is hashed again only when it changed, not on every read of a hot file.
   */
  private readonly checked = new LRUCache<string, string>({ max: 100_000 });

  /** Writes bytes [start, end] of the blob to `out` (not ending it). */
  async stream(plan: BlobPlan, source: FileSource, start: number, end: number, out: Writable): Promise<void> {
    const known = new Map<number, ChunkRecord>(
      (await this.meta.listChunks(plan.key)).map((c) => [c.index, c]),
    );
    const first = Math.floor(start / plan.chunkSize);
    const last = Math.floor(end / plan.chunkSize);
    for (let index = first; index <= last; index++) {
      const bounds = chunkBounds(plan, index);
      const from = Math.max(start, bounds.start) - bounds.start;
      const to = Math.min(end, bounds.end) - bounds.start;
      // The chunk the client waits for is requested before the read-ahead.
      const part = await this.openChunk(plan, index, from, to, known, source);
      this.scheduleReadAhead(plan, index, known, source);
      await copyInto(part, out);
    }
  }

  private async openChunk(
    plan: BlobPlan,
    index: number,
    from: number,
    to: number,
    known: Map<number, ChunkRecord>,
    source: FileSource,
  ): Promise<Readable> {
    const id = { blob: plan.key, index };
    const running = this.puller.active(id);
    if (running && !running.file.finished) return running.file.createReader(from, to);
    // Read-ahead may have stored it since `known` was read.
    const record = known.get(index) ?? (await this.meta.listChunks(plan.key)).find((c) => c.index === index);
    if (record) {
      try {
        const whole = from === 0 && to === record.size - 1;
        const fingerprint = this.verifyOnRead && whole ? await this.store.fingerprint(id) : undefined;
        const body = await this.store.read(id, from, to);
        if (!fingerprint || this.checked.get(chunkName(id)) === fingerprint) return body;
        return body.pipe(
          new VerifyingStream(
            record.sha256,
            (err) => {
              this.log.error(`chunk ${plan.key}#${index} changed in the store (${err.message}); dropping it`);
              void this.forget(plan, index);
            },
            () => this.checked.set(chunkName(id), fingerprint),
          ),
        );
      } catch (err) {
        if (!(err instanceof ChunkMissingError)) throw err;
        this.log.warn(`chunk ${plan.key}#${index} vanished from the store; pulling it again`);
        await this.forget(plan, index);
      }
    }
    return this.readPulled(plan, index, from, to, source, true);
  }

  /** Joins or starts the chunk's pull; once a download has finished writing, reads the store. */
  private async readPulled(
    plan: BlobPlan,
    index: number,
    from: number,
    to: number,
    source: FileSource,
    retry: boolean,
  ): Promise<Readable> {
    const id = { blob: plan.key, index };
    // Attach synchronously, before the download can move its file into the store.
    const download = this.puller.active(id) ?? this.puller.pull(plan, index, source);
    if (!download.file.finished) return download.file.createReader(from, to);
    await download.done;
    try {
      return await this.store.read(id, from, to);
    } catch (err) {
      // A recently finished pull whose chunk was purged since (failed verification): pull again.
      if (!(err instanceof ChunkMissingError) || !retry) throw err;
      this.puller.forget(id);
      return this.readPulled(plan, index, from, to, source, false);
    }
  }

  private async forget(plan: BlobPlan, index: number): Promise<void> {
    this.puller.forget({ blob: plan.key, index });
    await this.meta.deleteChunk(plan.key, index);
    await this.store.delete({ blob: plan.key, index });
    await this.meta.setBlobState(plan.key, 'partial');
  }

  private scheduleReadAhead(
    plan: BlobPlan,
    index: number,
    known: Map<number, ChunkRecord>,
    source: FileSource,
  ): void {
    const last = Math.min(chunkCount(plan) - 1, index + this.readAheadChunks);
    for (let next = index + 1; next <= last; next++) {
      if (known.has(next) || this.puller.active({ blob: plan.key, index: next })) continue;
      this.readAhead
        .add({ plan, index: next, source }, { priority: PRIORITY.readAhead, jobId: `${plan.key}#${next}` })
        .catch((err) =>
          this.log.warn(`read-ahead of ${plan.key}#${next} not queued: ${(err as Error).message}`),
        );
    }
  }
}

/** The read-ahead worker: pulls a chunk unless it is already stored. */
export function readAheadWorker(puller: ChunkPuller, store: ChunkStore, meta: MetadataPort) {
  return async ({ plan, index, source }: ReadAheadJob): Promise<void> => {
    const stored = (await meta.listChunks(plan.key)).some((c) => c.index === index);
    if (stored && (await store.stat({ blob: plan.key, index })) !== undefined) return;
    await puller.pull(plan, index, source).done;
  };
}

/**
 * Copies a chunk into a response that outlives it, honouring backpressure. (stream.pipeline with
 * `end: false` leaves listeners on the destination for every chunk of a long file.)
 */
async function copyInto(src: Readable, out: Writable): Promise<void> {
  for await (const buf of src as AsyncIterable<Buffer>) {
    if (out.destroyed || out.writableEnded) throw new Error('client went away');
    if (!out.write(buf)) await drained(out);
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('client went away'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onClose);
  });
}
