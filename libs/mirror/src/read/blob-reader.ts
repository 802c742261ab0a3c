import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ChunkFile, ChunkMissingError, ChunkStore } from '@dingo/chunk-store';
import { HubError } from '@dingo/hub-protocol';
import { JobQueue, PRIORITY } from '@dingo/jobs';
import { ChunkRecord } from '@dingo/metadata-store';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobPlan, chunkBounds, chunkCount } from '../blobs/blob-plan';
import { BlobVerifier } from '../blobs/blob-verifier';
import { FileSource } from '../files/located-file';
import { ChunkDownload, ChunkPuller } from '../pull/chunk-puller';
import { PullChunkJob } from '../pull/pull-chunk-job';
import { BLOCK_SIZE } from '../blobs/block-digests';
import { BlockBuffers } from './block-buffers';
import { BlockMismatchError, copyCheckedChunk, readCheckedChunk } from './block-checked-stream';
import { BlobUsage } from '../storage/blob-usage';
import { ByteSink, ByteSource } from './byte-sink';

/**
 * A chunk's bytes ready to copy, and where they come from (metrics: bytes served by source): a
 * stream, or a stored chunk open as a local file (copied block by block into reused buffers).
 */
type OpenedChunk =
  | { body: Readable; from: ByteSource; file?: undefined }
  | { file: ChunkFile; record: ChunkRecord; from: ByteSource };

/** Bytes of a body that reach the end of an unverified blob, held until the blob hashes to its name. */
const HELD_BACK_BYTES = 64 * 1024;

export interface BlobReaderOptions {
  readAheadChunks: number;
  /** A client waits at most this long for the first byte of a chunk being pulled (then 504). */
  firstByteTimeoutMs: number;
}

/**
 * Streams any byte range of a blob, chunk by chunk: from the store when the chunk is there (every
 * block checked against its digest; a rotted chunk is dropped and pulled again, mid-stream), else
 * by joining (or starting) its upstream pull. While a client reads chunk i of an incomplete blob,
 * the next chunks are pulled in parallel so a cold download is not limited to one connection.
 * A body that reaches the blob's last byte holds its tail until the whole blob is verified: a
 * client never receives a complete file whose bytes do not match the ETag it was promised.
 */
export class BlobReader {
  private readonly log = new Logger(BlobReader.name);
  /** Stored blocks that did not match their digest when read (rot; each was re-pulled or the copy cut). */
  blockMismatches = 0;
  /** Reused by every cache-hit copy of this process (1 MiB blocks; 64 MiB kept at most). */
  private readonly buffers = new BlockBuffers(BLOCK_SIZE, 64);

  constructor(
    private readonly ledger: BlobLedger,
    private readonly store: ChunkStore,
    private readonly puller: ChunkPuller,
    private readonly verifier: BlobVerifier,
    private readonly readAhead: JobQueue<PullChunkJob>,
    private readonly usage: BlobUsage,
    private readonly options: BlobReaderOptions,
  ) {}

  /** Writes bytes [start, end] of the blob to `sink` (not ending it). */
  async stream(
    plan: BlobPlan,
    source: FileSource,
    start: number,
    end: number,
    sink: ByteSink,
  ): Promise<void> {
    // Not evicted while it streams (and its last access moves up).
    const release = this.usage.hold(plan.key);
    try {
      await this.streamHeld(plan, source, start, end, sink);
    } finally {
      release();
    }
  }

  private async streamHeld(
    plan: BlobPlan,
    source: FileSource,
    start: number,
    end: number,
    sink: ByteSink,
  ): Promise<void> {
    const verified = await this.ledger.isVerified(plan.key);
    const holdTail = !verified && end === plan.size - 1;
    const tailStart = holdTail ? Math.max(start, end + 1 - HELD_BACK_BYTES) : end + 1;
    // Chunks this request had pulled (live, ahead, or to verify the blob): their bytes count as
    // upstream bytes even when they reach the client from the store (metrics: what a cold
    // download really cost; a cold small file is all held-back tail, never a cache hit).
    const pulledAhead = new Set<number>();
    if (tailStart > start)
      await this.copyRange(plan, source, start, tailStart - 1, sink, !verified, pulledAhead);
    if (holdTail) {
      await this.ensureVerified(plan, source, pulledAhead);
      await this.copyRange(plan, source, tailStart, end, sink, false, pulledAhead);
    }
  }

  /**
   * Pulls whatever chunks of the blob are missing (adding their indexes to `pulled`), then verifies
   * it; throws when it does not match.
   */
  async ensureVerified(plan: BlobPlan, source: FileSource, pulled?: Set<number>): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.ledger.isVerified(plan.key)) return;
      await this.pullMissing(plan, source, pulled);
      const verdict = await this.verifier.verifyIfComplete(plan);
      if (verdict === 'verified') return;
      if (verdict === 'corrupt')
        throw HubError.integrity(
          `The upstream's bytes for ${source.file.path} do not match their hash (${plan.key}); nothing was kept`,
        );
    }
    throw HubError.integrity(`Could not complete and verify ${plan.key}`);
  }

  private async copyRange(
    plan: BlobPlan,
    source: FileSource,
    start: number,
    end: number,
    sink: ByteSink,
    readAhead: boolean,
    pulledAhead: Set<number>,
  ): Promise<void> {
    const first = Math.floor(start / plan.chunkSize);
    const last = Math.floor(end / plan.chunkSize);
    // Chunks the read-ahead looked at already: each is looked up once, as it enters the window.
    const seen = new Set<number>();
    let ahead: Promise<OpenedChunk | undefined> | undefined;
    try {
      for (let index = first; index <= last; index++) {
        const bounds = chunkBounds(plan, index);
        let from = Math.max(start, bounds.start) - bounds.start;
        const to = Math.min(end, bounds.end) - bounds.start;
        // The chunk the client waits for is requested before the read-ahead.
        const opened = await ahead;
        ahead = undefined;
        let part = opened ?? (await this.openChunk(plan, index, from, to, source, !sink.started));
        if (index < last) ahead = this.openStoredAhead(plan, index + 1);
        if (part.from === 'upstream') pulledAhead.add(index);
        if (readAhead) this.scheduleReadAhead(plan, index, source, pulledAhead, seen);
        for (;;) {
          const counted = pulledAhead.has(index) ? 'upstream' : part.from;
          const copied = part.file
            ? await copyCheckedChunk(part.file, part.record, from, to, sink, counted, this.buffers)
            : await sink.copy(part.body, counted);
          from += copied.bytes;
          if (!copied.error) break;
          if (!(copied.error instanceof BlockMismatchError)) throw copied.error;
          this.blockMismatches++;
          // Rotted on disk: never delivered. Drop it and carry on from upstream at the same byte.
          this.log.error(`${copied.error.message}; pulling the chunk again`);
          await this.ledger.drop({ blob: plan.key, index }, copied.error.message);
          part = await this.openChunk(plan, index, from, to, source, false);
        }
      }
    } finally {
      // A copy that stopped early leaves the next chunk opened for nothing.
      void ahead?.then((part) => part?.file?.close());
    }
  }

  /**
   * Opens the next chunk of a range while the current one is copied, when it is stored whole and
   * nobody is pulling it: a remote store's request round trip then overlaps the copy. Undefined
   * (on any trouble too) leaves the chunk to openChunk, which knows what to do about it.
   */
  private async openStoredAhead(plan: BlobPlan, index: number): Promise<OpenedChunk | undefined> {
    const id = { blob: plan.key, index };
    if (!this.store.openFile || this.puller.active(id)) return undefined;
    try {
      const record = await this.ledger.chunk(id);
      if (!record?.blockDigests) return undefined;
      const file = await this.store.openFile(id, 0);
      return file && { file, record, from: 'cache' };
    } catch {
      return undefined;
    }
  }

  private async openChunk(
    plan: BlobPlan,
    index: number,
    from: number,
    to: number,
    source: FileSource,
    firstByte: boolean,
  ): Promise<OpenedChunk> {
    const id = { blob: plan.key, index };
    const running = this.puller.active(id);
    if (running && !running.file.finished)
      return { body: await this.follow(running, from, to, firstByte), from: 'upstream' };
    let record: ChunkRecord | undefined = await this.ledger.chunk(id);
    if (record && !record.blockDigests) {
      // Stored before block digests existed: verifying the blob records them.
      await this.ensureVerified(plan, source);
      record = await this.ledger.chunk(id);
    }
    if (record) {
      try {
        return await this.openStored(record, from, to, 'cache');
      } catch (err) {
        if (!(err instanceof ChunkMissingError)) throw err;
        await this.ledger.drop(id, 'it vanished from the store');
      }
    }
    return this.readPulled(plan, index, from, to, source, firstByte, true);
  }

  /**
   * A stored chunk: open as a local file where the store allows it (copied block by block into
   * reused buffers: bounded memory however many clients read), else a block-checked stream.
   */
  private async openStored(
    record: ChunkRecord,
    from: number,
    to: number,
    source: ByteSource,
  ): Promise<OpenedChunk> {
    const id = { blob: record.blobKey, index: record.index };
    const file = await this.store.openFile?.(id, Math.floor(from / record.blockSize) * record.blockSize);
    if (file) return { file, record, from: source };
    return { body: await readCheckedChunk(this.store, record, from, to), from: source };
  }

  /** Joins or starts the chunk's pull; once a download has finished writing, reads the store. */
  private async readPulled(
    plan: BlobPlan,
    index: number,
    from: number,
    to: number,
    source: FileSource,
    firstByte: boolean,
    retry: boolean,
  ): Promise<OpenedChunk> {
    const id = { blob: plan.key, index };
    // Attach synchronously, before the download can move its file into the store.
    const download = this.puller.active(id) ?? this.puller.pull(plan, index, source);
    if (!download.file.finished)
      return { body: await this.follow(download, from, to, firstByte), from: 'upstream' };
    await download.done;
    const record = await this.ledger.chunk(id);
    try {
      if (!record) throw new ChunkMissingError(id);
      return await this.openStored(record, from, to, 'upstream');
    } catch (err) {
      // A recently finished pull whose chunk was purged since (failed verification): pull again.
      if (!(err instanceof ChunkMissingError) || !retry) throw err;
      await this.ledger.drop(id, 'it was not in the store after its pull');
      return this.readPulled(plan, index, from, to, source, firstByte, false);
    }
  }

  /** Follows a download as it is written; before the first byte of a response, within a deadline. */
  private async follow(
    download: ChunkDownload,
    from: number,
    to: number,
    firstByte: boolean,
  ): Promise<Readable> {
    const reader = download.file.createReader(from, to);
    if (!firstByte) return reader;
    try {
      await download.file.whenAvailable(from, this.options.firstByteTimeoutMs);
    } catch (err) {
      reader.destroy();
      throw err;
    }
    return reader;
  }

  /** Pulls the chunks not stored yet, as many at once as a reader's read-ahead would. */
  private async pullMissing(plan: BlobPlan, source: FileSource, pulled?: Set<number>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < chunkCount(plan)) {
        const index = next++;
        if (await this.ledger.stored({ blob: plan.key, index })) continue;
        await this.puller.pull(plan, index, source).done;
        pulled?.add(index);
      }
    };
    await Promise.all(Array.from({ length: this.options.readAheadChunks + 1 }, worker));
  }

  private scheduleReadAhead(
    plan: BlobPlan,
    index: number,
    source: FileSource,
    pulledAhead: Set<number>,
    seen: Set<number>,
  ): void {
    const last = Math.min(chunkCount(plan) - 1, index + this.options.readAheadChunks);
    for (let next = index + 1; next <= last; next++) {
      if (seen.has(next)) continue;
      seen.add(next);
      const id = { blob: plan.key, index: next };
      if (this.puller.active(id)) {
        pulledAhead.add(next);
        continue;
      }
      void this.ledger
        .chunk(id)
        .then(async (known) => {
          if (known) return;
          pulledAhead.add(next);
          await this.readAhead.add(
            { plan, index: next, source },
            { priority: PRIORITY.readAhead, jobId: `${plan.key}#${next}` },
          );
        })
        .catch((err) =>
          this.log.warn(`read-ahead of ${plan.key}#${next} not queued: ${(err as Error).message}`),
        );
    }
  }
}
