import { createHash, Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile, FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, EXIT } from './cli-errors';
import { MirrorClient } from './mirror-client';

/** A file of a repo at a commit, as the info answer (`?blobs=true`) lists it. */
export interface RemoteFile {
  path: string;
  size: number;
  /** Git blob id. */
  blobId: string;
  /** Content sha256, for LFS files. */
  sha256?: string;
}

/** What to fetch, from where, to where. */
export interface FetchTarget {
  file: RemoteFile;
  /** Path and query on the mirror (`/org/x/resolve/<commit>/<path>`). */
  urlPath: string;
  /** Where the verified file ends up. */
  dest: string;
}

/** Told as bytes arrive and files finish (the progress display). */
export interface FetchListener {
  fileStarted?(file: RemoteFile, alreadyHave: number): void;
  bytes?(file: RemoteFile, n: number): void;
  fileDone?(file: RemoteFile, how: 'fetched' | 'present'): void;
}

export interface FetchOptions {
  /** Range requests in flight at once, over all files. */
  connections: number;
  /** Bytes per range request; a file smaller than this is one request. */
  partSize: number;
  retries: number;
}

export interface FetchReport {
  files: number;
  fetchedFiles: number;
  /** Bytes transferred by this run. */
  bytes: number;
  /** Bytes kept from an earlier, interrupted run. */
  resumedBytes: number;
}

/** Progress of a partial file: which parts are on disk (kept beside it, so a later run resumes). */
interface PartState {
  size: number;
  partSize: number;
  done: number[];
}

interface Pending {
  target: FetchTarget;
  partial: string;
  parts: number;
  remaining: Set<number>;
  fh?: Promise<FileHandle>;
  saving: Promise<void>;
  hasher: PrefixHasher;
}

/** Consecutive parts of one file, fetched by one Range request. */
interface Run {
  pending: Pending;
  first: number;
  last: number;
}

/**
 * The parts a file lacks, as runs of consecutive parts: a big file is cut into about as many runs
 * as there are connections (so they all work on it), a small one is one run.
 */
function runsOf(pending: Pending, connections: number): Run[] {
  const missing = [...pending.remaining].sort((a, b) => a - b);
  const perRun = Math.max(1, Math.ceil(missing.length / Math.max(1, connections)));
  const runs: Run[] = [];
  for (const i of missing) {
    const run = runs[runs.length - 1];
    if (run && run.last === i - 1 && run.last - run.first + 1 < perRun) run.last = i;
    else runs.push({ pending, first: i, last: i });
  }
  return runs;
}

/** Bytes gathered from the network before one positional write. */
const WRITE_BATCH = 1024 * 1024;

/**
 * Hashes a partial file while it downloads: whenever the parts from the start are on disk, it
 * reads them (from the page cache) into the hash, so at the end only the last parts remain.
 */
class PrefixHasher {
  private readonly hash: Hash;
  private next = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure?: unknown;

  constructor(
    private readonly partial: string,
    private readonly file: RemoteFile,
    private readonly partSize: number,
    private readonly parts: number,
    private readonly isDone: (index: number) => boolean,
  ) {
    const algorithm = expectedHash(file).algorithm;
    this.hash = createHash(algorithm === 'sha256' ? 'sha256' : 'sha1');
    if (algorithm === 'git-sha1') this.hash.update(`blob ${file.size}\0`);
  }

  /** Hashes on as far as the parts from the start are done. */
  advance(): void {
    this.chain = this.chain.then(async () => {
      try {
        while (this.failure === undefined && this.next < this.parts && this.isDone(this.next)) {
          const start = this.next * this.partSize;
          const end = Math.min(this.file.size, start + this.partSize) - 1;
          if (end >= start)
            for await (const chunk of createReadStream(this.partial, { start, end, highWaterMark: 1 << 20 }))
              this.hash.update(chunk as Buffer);
          this.next++;
        }
      } catch (err) {
        this.failure ??= err;
      }
    });
  }

  async digest(): Promise<string> {
    this.advance();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
    return this.hash.digest('hex');
  }
}

/** The file's expected identity: sha256 for LFS files, git blob sha1 otherwise. */
export function expectedHash(file: RemoteFile): { algorithm: 'sha256' | 'git-sha1'; hex: string } {
  return file.sha256
    ? { algorithm: 'sha256', hex: file.sha256.toLowerCase() }
    : { algorithm: 'git-sha1', hex: file.blobId.toLowerCase() };
}

/**
 * Downloads files through the mirror with parallel Range requests (runs of parts of a big file and
 * several files at once, one pool of connections), writing each part at its offset in a partial
 * file whose finished parts are recorded beside it: a process that was killed resumes with the
 * parts it lacks. A file is renamed into place only after its sha256 (LFS) or git blob id matches.
 */
export class FileFetcher {
  constructor(
    private readonly client: MirrorClient,
    private readonly options: FetchOptions,
    private readonly listener: FetchListener = {},
  ) {}

  async fetchAll(
    targets: FetchTarget[],
    onFileReady: (target: FetchTarget) => Promise<void>,
  ): Promise<FetchReport> {
    const report: FetchReport = { files: targets.length, fetchedFiles: 0, bytes: 0, resumedBytes: 0 };
    const tasks: Run[] = [];
    const pendings: Pending[] = [];
    for (const target of targets) {
      if (isComplete(target)) {
        this.listener.fileDone?.(target.file, 'present');
        await onFileReady(target);
        continue;
      }
      const pending = await this.prepare(target, report);
      pendings.push(pending);
      tasks.push(...runsOf(pending, this.options.connections));
      if (!pending.remaining.size) await this.finish(pending, onFileReady, report);
    }
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < tasks.length) {
        const run = tasks[next++];
        try {
          // True for exactly one run of a file: the one that finished its last part.
          if (await this.fetchRun(run, report)) await this.finish(run.pending, onFileReady, report);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.connections) }, worker));
    await Promise.all(
      pendings.map(async (p) => (await p.fh?.catch(() => undefined))?.close().catch(() => {})),
    );
    if (failure !== undefined) throw failure;
    return report;
  }

  private async prepare(target: FetchTarget, report: FetchReport): Promise<Pending> {
    const { size } = target.file;
    const partSize = this.options.partSize;
    const parts = Math.max(1, Math.ceil(size / partSize));
    const partial = `${target.dest}.dingo-partial`;
    mkdirSync(dirname(partial), { recursive: true });
    const state = await readState(partial, size, partSize);
    const done = new Set(state?.done ?? []);
    if (!state) {
      // A fresh start: the partial file gets its final size (sparse) so parts land at their offsets.
      const fh = await open(partial, 'w');
      await fh.truncate(size);
      await fh.close();
      await writeState(partial, { size, partSize, done: [] });
    }
    const remaining = new Set<number>();
    let have = 0;
    for (let i = 0; i < parts; i++) {
      if (done.has(i)) have += partLength(size, partSize, i);
      else remaining.add(i);
    }
    report.resumedBytes += have;
    this.listener.fileStarted?.(target.file, have);
    const hasher = new PrefixHasher(partial, target.file, partSize, parts, (i) => !remaining.has(i));
    hasher.advance();
    return { target, partial, parts, remaining, saving: Promise.resolve(), hasher };
  }

  /**
   * One Range request over consecutive parts (a long stream lets the mirror read ahead, as for a
   * plain download); each part is recorded as it completes, and a retry starts at the first part
   * not yet complete. Resolves true when this run completed the file's last part.
   */
  private async fetchRun(run: Run, report: FetchReport): Promise<boolean> {
    const { pending, last } = run;
    const { size } = pending.target.file;
    const partSize = this.options.partSize;
    const partEnd = (i: number) => Math.min(size, (i + 1) * partSize);
    let index = run.first;
    let completedFile = false;
    const partDone = async (i: number) => {
      pending.remaining.delete(i);
      pending.hasher.advance();
      // Decided before awaiting: exactly one run sees the file's last part complete.
      if (pending.remaining.size === 0) completedFile = true;
      await this.saveState(pending);
    };
    if (size === 0) {
      await partDone(0);
      return completedFile;
    }
    pending.fh ??= open(pending.partial, 'r+');
    const fh = await pending.fh;
    for (let attempt = 0; ; attempt++) {
      const start = index * partSize;
      const end = partEnd(last) - 1;
      let pos = start;
      try {
        const res = await this.client.send(pending.target.urlPath, {
          range: `bytes=${start}-${end}`,
          'accept-encoding': 'identity',
        });
        if (res.status !== 206 && !(res.status === 200 && start === 0 && end === size - 1)) {
          res.body.resume();
          throw new CliError(EXIT.failure, `${pending.target.file.path}: the mirror ignored a Range request`);
        }
        // Network chunks are small: gather about 1 MiB per positional write.
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = async () => {
          if (!batched) return;
          await fh.writev(batch, pos);
          pos += batched;
          report.bytes += batched;
          this.listener.bytes?.(pending.target.file, batched);
          batch = [];
          batched = 0;
          while (index <= last && pos >= partEnd(index)) await partDone(index++);
        };
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          const take = Math.min(chunk.length, end + 1 - pos - batched);
          if (take <= 0) break;
          batch.push(take === chunk.length ? chunk : chunk.subarray(0, take));
          batched += take;
          if (batched >= WRITE_BATCH || pos + batched >= partEnd(index)) await flush();
        }
        await flush();
        if (pos !== end + 1)
          throw new CliError(
            EXIT.failure,
            `${pending.target.file.path}: got ${pos - start} of ${end + 1 - start} bytes`,
          );
        return completedFile;
      } catch (err) {
        // Bytes of the part left incomplete are fetched again: take them off the count.
        const lost = index <= last ? pos - index * partSize : 0;
        report.bytes -= lost;
        this.listener.bytes?.(pending.target.file, -lost);
        const retriable =
          !(err instanceof CliError) || err.exitCode === EXIT.unavailable || err.exitCode === EXIT.failure;
        if (!retriable || attempt >= this.options.retries) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private saveState(pending: Pending): Promise<void> {
    const { size } = pending.target.file;
    const done = [...Array(pending.parts).keys()].filter((i) => !pending.remaining.has(i));
    pending.saving = pending.saving.then(() =>
      writeState(pending.partial, { size, partSize: this.options.partSize, done }),
    );
    return pending.saving;
  }

  private async finish(
    pending: Pending,
    onFileReady: (target: FetchTarget) => Promise<void>,
    report: FetchReport,
  ): Promise<void> {
    const { target, partial } = pending;
    const fh = await pending.fh;
    pending.fh = undefined;
    await fh?.close();
    await pending.saving;
    const want = expectedHash(target.file);
    const got = await pending.hasher.digest();
    if (got !== want.hex) {
      await rm(partial, { force: true });
      await rm(`${partial}.parts`, { force: true });
      throw new CliError(
        EXIT.integrity,
        `${target.file.path}: ${want.algorithm} is ${got}, expected ${want.hex}; the partial file was deleted`,
      );
    }
    await rename(partial, target.dest);
    await rm(`${partial}.parts`, { force: true });
    report.fetchedFiles++;
    this.listener.fileDone?.(target.file, 'fetched');
    await onFileReady(target);
  }
}

function partLength(size: number, partSize: number, index: number): number {
  return Math.max(0, Math.min(partSize, size - index * partSize));
}

function isComplete(target: FetchTarget): boolean {
  return existsSync(target.dest) && statSync(target.dest).size === target.file.size;
}

async function readState(partial: string, size: number, partSize: number): Promise<PartState | undefined> {
  if (!existsSync(partial) || statSync(partial).size !== size) return undefined;
  try {
    const state = JSON.parse(await readFile(`${partial}.parts`, 'utf8')) as PartState;
    if (state.size !== size || state.partSize !== partSize || !Array.isArray(state.done)) return undefined;
    return state;
  } catch {
    return undefined;
  }
}

async function writeState(partial: string, state: PartState): Promise<void> {
  // Written aside then renamed: a kill mid-write leaves the previous state, never a torn one.
  await writeFile(`${partial}.parts.tmp`, JSON.stringify(state));
  await rename(`${partial}.parts.tmp`, `${partial}.parts`);
}

/** sha256 of the content, or the git blob id (sha1 of `blob <size>\0` and the content). */
export async function hashFile(
  path: string,
  algorithm: 'sha256' | 'git-sha1',
  size: number,
): Promise<string> {
  const h = createHash(algorithm === 'sha256' ? 'sha256' : 'sha1');
  if (algorithm === 'git-sha1') h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
