import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitBlobHeader } from './git-objects';

/** One distinct content on disk, addressed by its sha256. */
export interface StoredContent {
  sha256: string;
  /** Git blob sha1 of the content itself. */
  gitSha1: string;
  size: number;
  diskPath: string;
}

const BLOCK = 1 << 20;
const ZEROS = Buffer.alloc(BLOCK);

/**
 * Writes file contents into dataDir once per distinct content (`blobs/<sha256>`).
 * Generated contents are AES-256-CTR keystreams of a seed, so they are deterministic,
 * incompressible and cheap (about 1 GiB/s with hashing); a manifest per seed lets a
 * persistent dataDir skip regeneration across runs.
 */
export class ContentStore {
  private readonly blobsDir: string;
  private readonly seedsDir: string;
  private readonly tmpDir: string;
  private readonly inFlight = new Map<string, Promise<StoredContent>>();

  constructor(dataDir: string) {
    this.blobsDir = join(dataDir, 'blobs');
    this.seedsDir = join(dataDir, 'generated');
    this.tmpDir = join(dataDir, 'tmp');
  }

  async init(): Promise<void> {
    await Promise.all([this.blobsDir, this.seedsDir, this.tmpDir].map((d) => mkdir(d, { recursive: true })));
  }

  generated(seed: string, size: number): Promise<StoredContent> {
    const key = createHash('sha256').update(`${seed}\0${size}`).digest('hex');
    return this.once(`gen:${key}`, () => this.generate(key, seed, size));
  }

  explicit(content: Buffer): Promise<StoredContent> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    return this.once(`sha:${sha256}`, async () => {
      const gitSha1 = createHash('sha1').update(gitBlobHeader(content.length)).update(content).digest('hex');
      const diskPath = join(this.blobsDir, sha256);
      if (!(await hasSize(diskPath, content.length))) {
        const tmp = this.tmpPath();
        await writeFile(tmp, content);
        await rename(tmp, diskPath);
      }
      return { sha256, gitSha1, size: content.length, diskPath };
    });
  }

  private async once(key: string, make: () => Promise<StoredContent>): Promise<StoredContent> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = make();
      this.inFlight.set(key, p);
      p.catch(() => this.inFlight.delete(key));
    }
    return p;
  }

  private async generate(key: string, seed: string, size: number): Promise<StoredContent> {
    const manifestPath = join(this.seedsDir, `${key}.json`);
    const known = await readManifest(manifestPath);
    if (known && known.size === size && (await hasSize(join(this.blobsDir, known.sha256), size))) {
      return { ...known, diskPath: join(this.blobsDir, known.sha256) };
    }
    const tmp = this.tmpPath();
    const { sha256, gitSha1 } = await writeKeystream(tmp, seed, size);
    const diskPath = join(this.blobsDir, sha256);
    if (await hasSize(diskPath, size)) await unlink(tmp);
    else await rename(tmp, diskPath);
    await writeFile(manifestPath, JSON.stringify({ sha256, gitSha1, size }));
    return { sha256, gitSha1, size, diskPath };
  }

  private tmpPath(): string {
    return join(this.tmpDir, randomBytes(8).toString('hex'));
  }
}

async function writeKeystream(
  file: string,
  seed: string,
  size: number,
): Promise<{ sha256: string; gitSha1: string }> {
  const key = createHash('sha256').update(`key\0${seed}`).digest();
  const iv = createHash('sha256').update(`iv\0${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1').update(gitBlobHeader(size));
  const fh = await open(file, 'w');
  try {
    // Generate and hash block i+1 while block i is being written.
    let pending: Promise<unknown> = Promise.resolve();
    for (let done = 0; done < size; done += BLOCK) {
      const block = cipher.update(ZEROS.subarray(0, Math.min(BLOCK, size - done)));
      sha256.update(block);
      sha1.update(block);
      await pending;
      pending = fh.write(block, 0, block.length);
    }
    await pending;
  } finally {
    await fh.close();
  }
  return { sha256: sha256.digest('hex'), gitSha1: sha1.digest('hex') };
}

async function hasSize(path: string, size: number): Promise<boolean> {
  try {
    return (await stat(path)).size === size;
  } catch {
    return false;
  }
}

async function readManifest(
  path: string,
): Promise<{ sha256: string; gitSha1: string; size: number } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
