import { Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import type { AuditSink, TransferEvent } from '@dingo/contracts';
import { AuditEventEntity } from './entities';

export type AuditAction = 'download' | 'upload' | 'delete' | 'manage' | 'login' | 'denied';

export interface AuditEntry {
  action: AuditAction;
  status: number;
  at?: number;
  userId?: string;
  tokenId?: string;
  repoType?: string;
  repoId?: string;
  revision?: string;
  path?: string;
  bytes?: number;
  clientIp?: string;
  detail?: Record<string, unknown>;
}

const BATCH = 500;
const MAX_QUEUE = 100_000;
const FLUSH_EVERY_MS = 250;

const clip = (value: string | undefined, max: number) => (value === undefined ? null : value.slice(0, max));

/**
 * The audit log. Writers only push onto an in-memory queue (a download never waits for the
 * database); a timer inserts the queue in batches. If the database falls far behind, the oldest
 * entries are dropped and counted rather than letting memory grow without bound.
 */
export class AuditLog implements AuditSink, OnModuleDestroy {
  private readonly log = new Logger('AuditLog');
  private readonly rows: Repository<AuditEventEntity>;
  private queue: AuditEventEntity[] = [];
  private flushing?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  dropped = 0;

  constructor(ds: DataSource) {
    this.rows = ds.getRepository(AuditEventEntity);
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** AuditSink: file transfers reported by the Hub surface. */
  record(event: TransferEvent): void {
    this.write({
      action: event.action,
      status: event.status,
      userId: event.userId,
      tokenId: event.tokenId,
      repoType: event.repoType,
      repoId: event.repoId,
      revision: event.revision,
      path: event.path,
      bytes: event.bytes,
      clientIp: event.clientIp,
      detail: { commit: event.commit, ...(event.aborted ? { aborted: true } : {}) },
    });
  }

  write(entry: AuditEntry): void {
    const row = this.rows.create({
      at: entry.at ?? Date.now(),
      action: entry.action,
      status: entry.status,
      userId: entry.userId ?? null,
      tokenId: entry.tokenId ?? null,
      repoType: clip(entry.repoType, 8),
      repoId: clip(entry.repoId, 200),
      revision: clip(entry.revision, 256),
      path: clip(entry.path, 2048),
      bytes: entry.bytes ?? null,
      clientIp: clip(entry.clientIp, 64),
      detail: entry.detail ? JSON.stringify(entry.detail).slice(0, 4000) : null,
    });
    this.queue.push(row);
    if (this.queue.length > MAX_QUEUE) {
      this.dropped += this.queue.length - MAX_QUEUE;
      this.queue.splice(0, this.queue.length - MAX_QUEUE);
    }
    if (this.queue.length >= BATCH) setImmediate(() => void this.flush());
  }

  /** Writes everything queued so far (the audit query calls this so a reader sees its own gateway's events). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.queue.length) return;
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, BATCH);
      try {
        await this.rows.insert(batch);
      } catch (err) {
        // Put the batch back (oldest first) and try again on the next tick.
        this.queue.unshift(...batch);
        this.log.warn(`audit write failed, ${this.queue.length} events pending: ${(err as Error).message}`);
        return;
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.queue.length || this.dropped)
      this.log.warn(`${this.queue.length} audit events unwritten, ${this.dropped} dropped`);
  }
}
