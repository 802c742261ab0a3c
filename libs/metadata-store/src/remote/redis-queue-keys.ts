import Redis, { RedisOptions } from 'ioredis';

/**
 * Where a Redis-queue service lives. Requests go onto one list per service (`queue`), which every
 * replica of the service takes from: a queue group, so each request reaches one replica.
 */
export interface RedisQueueEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** As for Nest's Redis transport: reconnect attempts (default: forever) and the pause between them. */
  retryAttempts?: number;
  retryDelay?: number;
}

/** A request as it sits on the queue. `id`/`replyTo` are absent for events (no answer wanted). */
export interface QueuedRequest {
  id?: string;
  pattern: string;
  data: unknown;
  replyTo?: string;
  /** Epoch ms after which the caller no longer waits: replicas drop it instead of running it. */
  expiresAt?: number;
}

export interface QueuedReply {
  id: string;
  response?: unknown;
  err?: unknown;
}

/** The keys of one service's queue (`<queue>` is e.g. `dingo:rpc:metadata`). */
export const queueKeys = (queue: string) => ({
  requests: `${queue}:requests`,
  replicas: `${queue}:replicas`,
  alive: (replica: string) => `${queue}:alive:${replica}`,
  processing: (replica: string) => `${queue}:processing:${replica}`,
  reply: (client: string) => `${queue}:reply:${client}`,
  /** CLIENT SETNAME of a replica's connection: lets a reaper see at once that it is gone. */
  connectionName: (replica: string) => `rq-${replica}`,
});

/** One ioredis connection per role; blocking commands need their own, and never give up a call. */
export function openRedis(endpoint: RedisQueueEndpoint, name?: string): Redis {
  const { retryAttempts, retryDelay = 500, ...server } = endpoint;
  const options: RedisOptions = {
    ...server,
    connectionName: name,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) =>
      retryAttempts !== undefined && attempt > retryAttempts ? null : Math.min(attempt * 100, retryDelay),
  };
  return new Redis(options);
}
