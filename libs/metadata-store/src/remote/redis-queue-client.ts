import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import Redis from 'ioredis';
import { QueuedReply, QueuedRequest, RedisQueueEndpoint, openRedis, queueKeys } from './redis-queue-keys';

export interface RedisQueueClientOptions {
  redis: RedisQueueEndpoint;
  /** The service's queue, as given to its RedisQueueServer replicas. */
  queue: string;
  /**
   * How long a request stays worth running (default 30000 ms). Replicas drop requests older than
   * this (queued while every replica was down, or while Redis was unreachable) instead of running
   * work nobody waits for. Keep it at or above the caller's own timeout.
   */
  requestTtlMs?: number;
}

/**
 * The client half of RedisQueueServer: `send()` pushes onto the service's queue and resolves with
 * the first reply for its id from this client's own reply list. Timeouts are the caller's (rxjs
 * `timeout`); unsubscribing forgets the call, and a late reply is ignored.
 */
export class RedisQueueClient extends ClientProxy {
  private readonly clientId = randomUUID();
  private readonly keys: ReturnType<typeof queueKeys>;
  private readonly replyList: string;
  private readonly pending = new Map<string, (packet: WritePacket) => void>();
  private commands?: Redis;
  private replies?: Redis;
  private connecting?: Promise<void>;
  private reader?: Promise<void>;
  private closed = false;
  private readonly log = new Logger('RedisQueueClient');

  constructor(private readonly options: RedisQueueClientOptions) {
    super();
    this.keys = queueKeys(options.queue);
    this.replyList = this.keys.reply(this.clientId);
  }

  connect(): Promise<void> {
    this.connecting ??= (async () => {
      this.commands = openRedis(this.options.redis);
      this.replies = openRedis(this.options.redis);
      for (const c of [this.commands, this.replies])
        c.on('error', (err) => this.log.warn(`Redis: ${err.message}`));
      this.reader = this.readReplies();
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replies?.disconnect();
    await this.reader;
    if (this.commands) {
      await Promise.race([this.commands.del(this.replyList), new Promise((r) => setTimeout(r, 500))]).catch(
        () => undefined,
      );
      this.commands.disconnect();
    }
  }

  unwrap<T>(): T {
    return this.commands as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const { id } = this.assignPacketId(packet);
    this.pending.set(id, callback);
    const request: QueuedRequest = {
      id,
      pattern: this.normalizePattern(packet.pattern),
      data: packet.data,
      replyTo: this.replyList,
      expiresAt: Date.now() + (this.options.requestTtlMs ?? 30_000),
    };
    this.push(request).catch((err: Error) => {
      this.pending.delete(id);
      callback({ err: { message: `could not queue the request: ${err.message}` }, isDisposed: true });
    });
    return () => this.pending.delete(id);
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const request: QueuedRequest = { pattern: this.normalizePattern(packet.pattern), data: packet.data };
    return (await this.push(request)) as T;
  }

  private async push(request: QueuedRequest): Promise<number> {
    await this.connect();
    return this.commands!.lpush(this.keys.requests, JSON.stringify(request));
  }

  private async readReplies(): Promise<void> {
    while (!this.closed) {
      let batch: string[];
      try {
        const first = await this.replies!.brpop(this.replyList, 1);
        if (!first) continue;
        // Drain what else is there in one round trip rather than one BRPOP each.
        batch = [first[1], ...((await this.replies!.rpop(this.replyList, 256)) ?? [])];
      } catch (err) {
        if (this.closed) break;
        this.log.warn(`reading replies: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      for (const raw of batch) this.deliver(raw);
    }
  }

  private deliver(raw: string): void {
    let reply: QueuedReply;
    try {
      reply = JSON.parse(raw) as QueuedReply;
    } catch {
      return;
    }
    const callback = this.pending.get(reply.id);
    if (!callback) return; // timed out, or a second answer after a redelivery
    this.pending.delete(reply.id);
    callback(
      reply.err !== undefined
        ? { err: reply.err, isDisposed: true }
        : { response: reply.response, isDisposed: true },
    );
  }
}
