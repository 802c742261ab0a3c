import { mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { HubError } from '@dingo/hub-protocol';

/**
 * The directory where chunks are written while they download (`<blob>.<index>.<pid>.<seq>`),
 * before they move into the chunk store. It keeps a free-space floor: below it no new pull starts
 * (507) instead of filling the disk; a write that still hits ENOSPC becomes the same clean error.
 */
export class StagingArea {
  private readonly log = new Logger(StagingArea.name);
  private seq = 0;
  private freeCheckedAt = 0;
  private freeBytes = Number.POSITIVE_INFINITY;

  constructor(
    readonly dir: string,
    private readonly minFreeBytes: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Removes partial files left by processes that are gone (kill -9, power loss). A file of our own
   * pid is stale too: this process has not staged anything yet (a container restart reuses pids).
   */
  removeStale(): number {
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const pid = Number(name.split('.').at(-2));
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) continue;
      rmSync(join(this.dir, name), { force: true });
      removed++;
    }
    if (removed) this.log.log(`removed ${removed} partial download(s) left in ${this.dir}`);
    return removed;
  }

  /** A fresh path for a chunk about to be pulled; refuses when the disk is at its floor. */
  pathFor(blobKey: string, index: number, bytes: number): string {
    this.assertRoomFor(bytes);
    return join(this.dir, `${blobKey}.${index}.${process.pid}.${this.seq++}`);
  }

  /** ENOSPC (and EDQUOT) from a staging write, as the client should see it. */
  static asNoSpace(err: unknown): HubError | undefined {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
    return HubError.insufficientStorage('The mirror ran out of disk space while caching this file');
  }

  private assertRoomFor(bytes: number): void {
    const now = Date.now();
    if (now - this.freeCheckedAt > 1000) {
      const st = statfsSync(this.dir);
      this.freeBytes = st.bavail * st.bsize;
      this.freeCheckedAt = now;
    }
    if (this.freeBytes - bytes < this.minFreeBytes) {
      throw HubError.insufficientStorage(
        `The mirror's disk is at its free-space floor (${this.freeBytes} bytes free, floor ${this.minFreeBytes}): cannot cache more`,
      );
    }
    this.freeBytes -= bytes;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
