import { ChildProcess } from 'node:child_process';

/** Request/response over a child's IPC channel: `{id, op, args}` -> `{id, result | error}`. */
export interface IpcRequest {
  id: number;
  op: string;
  args?: unknown;
}

export interface IpcReply {
  id: number;
  result?: unknown;
  error?: string;
}

export class IpcClient {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    child.on('message', (msg: IpcReply) => {
      const pending = this.waiting.get(msg?.id);
      if (!pending) return;
      this.waiting.delete(msg.id);
      if (msg.error !== undefined) pending.reject(new Error(`${name}: ${msg.error}`));
      else pending.resolve(msg.result);
    });
    child.on('exit', (code, signal) => {
      for (const p of this.waiting.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies IpcRequest, (err) => {
        if (err) {
          this.waiting.delete(id);
          reject(err);
        }
      });
    });
  }
}

/** The child side: answers requests with `handlers[op](args)`. */
export function serveIpc(handlers: Record<string, (args: any) => unknown>): void {
  process.on('message', (msg: IpcRequest) => {
    const handler = handlers[msg?.op];
    const reply = (r: Omit<IpcReply, 'id'>) => process.send?.({ id: msg.id, ...r });
    if (!handler) return reply({ error: `unknown op ${msg?.op}` });
    Promise.resolve()
      .then(() => handler(msg.args))
      .then(
        (result) => reply({ result: result ?? null }),
        (err: Error) => reply({ error: err?.stack ?? String(err) }),
      );
  });
}
