import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants';
import Redis from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { QueuedReply, QueuedRequest, RedisQueueEndpoint, openRedis, queueKeys } from './redis-queue-keys';

export interface RedisQueueServerOptions {
  redis: RedisQueueEndpoint;
  /** The service's queue, shared by all its replicas and its clients (e.g. `dingo:rpc:metadata`). */
  queue: string;
  /** Requests one replica works on at once (default 64). */
  concurrency?: number;
  /** A replica whose heartbeat is older than this is dead and its requests go back on the queue (default 2000). */
  heartbeatTtlMs?: number;
  /** How often a replica renews its heartbeat and looks for dead replicas (default 500). */
  heartbeatMs?: number;
  /** On close, how long in-flight requests may run before they are put back for another replica (default 5000). */
  drainMs?: number;
  /** Tolerated clock difference between callers and replicas when dropping expired requests (default 2000). */
  clockSkewMs?: number;
}

/** The context a handler receives: the pattern it was called on. */
export class RedisQueueContext extends BaseRpcContext<[string]> {
  getPattern(): string {
    return this.args[0];
  }
}

// Puts a dead replica's in-flight requests back at the consuming end of the queue, oldest first,
// and forgets the replica. Atomic, so any number of replicas may reap at once. KEYS: alive,
// processing, requests, replicas; ARGV: replica id, "1" when its connection is known gone.
const REAP = `
if redis.call('exists', KEYS[1]) == 1 and ARGV[2] ~= '1' then return -1 end
local n = 0
while true do
  local m = redis.call('lpop', KEYS[2])
  if not m then break end
  redis.call('rpush', KEYS[3], m)
  n = n + 1
end
redis.call('srem', KEYS[4], ARGV[1])
redis.call('del', KEYS[1])
return n`;

/**
 * A Nest transport over Redis lists where each request is handled by exactly one replica: a
 * replica takes a request off the service's queue with BLMOVE into its own processing list,
 * answers on the caller's reply list, then removes it. A replica that dies (heartbeat expired, or
 * its connection gone) has its processing list put back on the queue by the others, so a request
 * is never lost to a crash; it may then run twice (at-least-once), which is why every handler
 * behind this transport must be idempotent. A caller takes the first answer for an id only.
 */
export class RedisQueueServer extends Server implements CustomTransportStrategy {
  readonly replicaId = randomUUID();
  private readonly keys: ReturnType<typeof queueKeys>;
  private readonly concurrency: number;
  private readonly heartbeatTtlMs: number;
  private readonly heartbeatMs: number;
  private readonly drainMs: number;
  private readonly clockSkewMs: number;
  private blocking?: Redis;
  private commands?: Redis;
  private heartbeat?: NodeJS.Timeout;
  private running = false;
  private consumer?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private slotFreed?: () => void;
  protected readonly log = new Logger('RedisQueueServer');

  constructor(private readonly options: RedisQueueServerOptions) {
    super();
    this.keys = queueKeys(options.queue);
    this.concurrency = options.concurrency ?? 64;
    this.heartbeatTtlMs = options.heartbeatTtlMs ?? 2000;
    this.heartbeatMs = options.heartbeatMs ?? 500;
    this.drainMs = options.drainMs ?? 5000;
    this.clockSkewMs = options.clockSkewMs ?? 2000;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const name = this.keys.connectionName(this.replicaId);
      this.commands = openRedis(this.options.redis);
      this.blocking = openRedis(this.options.redis, name);
      for (const c of [this.commands, this.blocking])
        c.on('error', (err) => this.log.warn(`Redis: ${err.message}`));
      await this.beat();
      this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), this.heartbeatMs);
      this.heartbeat.unref();
      this.running = true;
      this.consumer = this.consume();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Stops taking requests, lets in-flight ones finish (up to drainMs), puts back the rest. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.heartbeat);
    this.blocking?.disconnect(); // interrupts the BLMOVE in progress
    await this.consumer;
    const drained = Promise.all([...this.inFlight]);
    await Promise.race([drained, new Promise((r) => setTimeout(r, this.drainMs).unref())]);
    try {
      // Force: our own connection is alive, but we are leaving.
      await this.reap(this.replicaId, true);
    } finally {
      this.commands?.disconnect();
    }
  }

  /** Resolves when this replica's Redis answers (for /health). */
  async ping(): Promise<void> {
    if (!this.commands) throw new Error('not listening');
    await this.commands.ping();
  }

  on(): never {
    throw new Error('RedisQueueServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.commands as T;
  }

  private async consume(): Promise<void> {
    const { requests } = this.keys;
    const processing = this.keys.processing(this.replicaId);
    while (this.running) {
      if (this.inFlight.size >= this.concurrency) {
        await new Promise<void>((r) => (this.slotFreed = r));
        continue;
      }
      let raw: string | null;
      try {
        // Blocks up to 1 s, so a closing server notices soon even if disconnect() raced the call.
        raw = await this.blocking!.blmove(requests, processing, 'RIGHT', 'LEFT', 1);
      } catch (err) {
        if (!this.running) break;
        this.log.warn(`taking a request: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (raw === null) continue;
      const work = this.process(raw).finally(() => {
        this.inFlight.delete(work);
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
      this.inFlight.add(work);
    }
  }

  private async process(raw: string): Promise<void> {
    const processing = this.keys.processing(this.replicaId);
    let request: QueuedRequest;
    try {
      request = JSON.parse(raw) as QueuedRequest;
    } catch {
      this.log.warn('dropping a request that is not JSON');
      await this.commands!.lrem(processing, 1, raw);
      return;
    }
    if (request.expiresAt !== undefined && Date.now() > request.expiresAt + this.clockSkewMs) {
      await this.commands!.lrem(processing, 1, raw); // the caller gave up on it long ago
      return;
    }
    const context = new RedisQueueContext([request.pattern]);
    if (request.id === undefined) {
      await this.handleEvent(request.pattern, { pattern: request.pattern, data: request.data }, context);
      await this.commands!.lrem(processing, 1, raw);
      return;
    }
    const reply = await this.answer(request, context);
    const packet = JSON.stringify(reply);
    await this.commands!.multi()
      .lpush(request.replyTo!, packet)
      .pexpire(request.replyTo!, 60_000) // a caller that died leaves nothing behind for long
      .lrem(processing, 1, raw)
      .exec();
  }

  private async answer(request: QueuedRequest, context: RedisQueueContext): Promise<QueuedReply> {
    const id = request.id!;
    const handler = this.getHandlerByPattern(request.pattern);
    if (!handler) return { id, err: NO_MESSAGE_HANDLER };
    try {
      let result: unknown;
      // Typed as returning void, but Nest's hook returns `done()`'s promise (and custom hooks must too).
      await (this.onProcessingStartHook(this.transportId!, context, async () => {
        const response$ = this.transformToObservable(await handler(request.data, context));
        result = await lastValueFrom(response$, { defaultValue: undefined });
      }) as unknown as Promise<void>);
      return { id, response: result ?? null };
    } catch (err) {
      // RpcExceptions reach us as the plain object the exception filter made of them.
      return { id, err: err instanceof Error ? { name: err.name, message: err.message } : err };
    }
  }

  /** Renews our heartbeat and puts back the requests of replicas that stopped beating. */
  private async beat(): Promise<void> {
    const c = this.commands!;
    await c
      .multi()
      .set(this.keys.alive(this.replicaId), '1', 'PX', this.heartbeatTtlMs)
      .sadd(this.keys.replicas, this.replicaId)
      .exec();
    const replicas = (await c.smembers(this.keys.replicas)).filter((r) => r !== this.replicaId);
    if (replicas.length === 0) return;
    const connected = await this.connectedReplicas();
    for (const replica of replicas) {
      const gone = connected !== undefined && !connected.has(replica);
      const moved = await this.reap(replica, gone);
      if (moved > 0) this.log.warn(`replica ${replica} is gone: ${moved} request(s) put back on the queue`);
    }
  }

  private async reap(replica: string, connectionGone: boolean): Promise<number> {
    const k = this.keys;
    return (await this.commands!.eval(
      REAP,
      4,
      k.alive(replica),
      k.processing(replica),
      k.requests,
      k.replicas,
      replica,
      connectionGone ? '1' : '0',
    )) as number;
  }

  /**
   * Replicas whose blocking connection Redis still has: a killed process's socket closes at once,
   * so its requests are put back without waiting for the heartbeat to expire. Undefined where
   * CLIENT LIST is not allowed (some managed Redis): the heartbeat alone decides there.
   */
  private async connectedReplicas(): Promise<Set<string> | undefined> {
    try {
      const list = (await this.commands!.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
      const prefix = this.keys.connectionName('');
      const names = [...list.matchAll(/ name=(\S+)/g)].map((m) => m[1]);
      return new Set(names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
    } catch {
      return undefined;
    }
  }
}
