import { createHash, Hash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BlobKey, blobKeyFor, ChunkStore } from '@dingo/chunk-store';
import { HubError } from '@dingo/hub-protocol';
import { StagingArea } from '../pull/staging-area';
import { BlobLedger } from './blob-ledger';
import { BlockDigester, blockSizeFor } from './block-digests';

/** What an incoming blob must be: its size and its hash (sha256 for LFS, git blob id otherwise). */
export interface ExpectedBlob {
  size: number;
  sha256?: string;
  gitBlobId?: string;
}

interface StagedChunk {
  path: string;
  size: number;
  digests: string;
}

/**
 * Takes a blob pushed to the mirror (an LFS upload, a small file of a commit) into the chunk store:
 * the body streams into staging files one chunk at a time (never whole in memory) while it is
 * hashed; only when size and hash match are the chunks moved into the store, recorded and the blob
 * marked verified. A refused or interrupted upload leaves nothing visible.
 */
export class BlobIngest {
  constructor(
    private readonly ledger: BlobLedger,
    private readonly store: ChunkStore,
    private readonly staging: StagingArea,
  ) {}

  async ingest(expected: ExpectedBlob, body: Readable): Promise<BlobKey> {
    const key = blobKeyFor({ sha256: expected.sha256, gitBlobId: expected.gitBlobId });
    if (await this.ledger.isVerified(key)) {
      body.resume();
      return key;
    }
    const plan = await this.ledger.plan({ blobKey: key, size: expected.size });
    const staged: StagedChunk[] = [];
    try {
      const actual = await this.stage(key, expected, plan.chunkSize, body, staged);
      if (actual.size !== expected.size)
        throw HubError.badRequest(`Size mismatch: expected ${expected.size} bytes, received ${actual.size}`);
      if (expected.sha256 && actual.sha256 !== expected.sha256)
        throw HubError.badRequest(
          `sha256 mismatch: expected ${expected.sha256}, content hashes to ${actual.sha256}`,
        );
      if (expected.gitBlobId && actual.gitBlobId !== expected.gitBlobId)
        throw HubError.badRequest(`git blob id mismatch for ${expected.gitBlobId}`);
      const blockSize = blockSizeFor(plan.chunkSize);
      for (const [index, chunk] of staged.entries()) {
        await this.store.putFile({ blob: key, index }, chunk.path);
        await this.ledger.record({
          blobKey: key,
          index,
          size: chunk.size,
          blockSize,
          blockDigests: chunk.digests,
        });
      }
      await this.ledger.setState(key, 'verified');
      return key;
    } finally {
      await Promise.all(staged.map((c) => rm(c.path, { force: true })));
    }
  }

  private async stage(
    key: BlobKey,
    expected: ExpectedBlob,
    chunkSize: number,
    body: Readable,
    staged: StagedChunk[],
  ): Promise<{ size: number; sha256?: string; gitBlobId?: string }> {
    const sha256 = expected.sha256 ? createHash('sha256') : undefined;
    const sha1: Hash | undefined = expected.gitBlobId ? createHash('sha1') : undefined;
    sha1?.update(`blob ${expected.size}\0`);
    let total = 0;
    let file: FileHandle | undefined;
    let chunk: StagedChunk | undefined;
    let digester: BlockDigester | undefined;
    const close = async () => {
      if (!chunk || !file || !digester) return;
      chunk.digests = digester.finish();
      await file.close();
      file = undefined;
    };
    try {
      for await (const data of body as AsyncIterable<Buffer>) {
        if (total + data.length > expected.size)
          throw HubError.badRequest(`Upload is larger than the announced ${expected.size} bytes`);
        sha256?.update(data);
        sha1?.update(data);
        for (let off = 0; off < data.length;) {
          if (!chunk || chunk.size === chunkSize) {
            await close();
            const index = staged.length;
            const size = Math.min(chunkSize, expected.size - index * chunkSize);
            chunk = { path: this.staging.pathFor(key, index, size), size: 0, digests: '' };
            staged.push(chunk);
            file = await open(chunk.path, 'w', 0o600);
            digester = new BlockDigester(blockSizeFor(chunkSize));
          }
          const take = Math.min(chunkSize - chunk.size, data.length - off);
          const piece = data.subarray(off, off + take);
          await file!.write(piece);
          digester!.update(piece);
          chunk.size += take;
          off += take;
          total += take;
        }
      }
      if (expected.size === 0) {
        chunk = { path: this.staging.pathFor(key, 0, 0), size: 0, digests: '' };
        staged.push(chunk);
        file = await open(chunk.path, 'w', 0o600);
        digester = new BlockDigester(blockSizeFor(chunkSize));
      }
      await close();
    } catch (err) {
      await file?.close();
      throw StagingArea.asNoSpace(err) ?? err;
    }
    return { size: total, sha256: sha256?.digest('hex'), gitBlobId: sha1?.digest('hex') };
  }
}
