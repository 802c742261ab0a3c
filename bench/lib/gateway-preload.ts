// Preloaded (`-r`) into each mirror process the bench starts, before the app's own main.ts. It
// only listens on the IPC channel the bench opened: `exit` ends the process at once (so a CPU
// profile or the RSS reading is never disturbed by a shutdown sequence), and `profile-start` /
// `profile-stop` record a V8 CPU profile of just the measured window (not start-up or warm-up).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

type Message = { id: number; op: 'exit' | 'profile-start' | 'profile-stop'; args?: { path?: string } };

let session: Session | undefined;

function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

const handlers: Record<Message['op'], (args?: Message['args']) => Promise<unknown>> = {
  async exit() {
    setImmediate(() => process.exit(0));
  },
  async 'profile-start'() {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
  },
  async 'profile-stop'(args) {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    session!.disconnect();
    session = undefined;
    writeFileSync(args!.path!, JSON.stringify(profile));
    return args!.path;
  },
};

if (process.send) {
  process.on('message', (msg: Message) => {
    const handler = handlers[msg?.op];
    if (!handler) return;
    handler(msg.args).then(
      (result) => process.send?.({ id: msg.id, result: result ?? null }),
      (err: Error) => process.send?.({ id: msg.id, error: String(err?.stack ?? err) }),
    );
  });
  // The bench going away must not leave a gateway behind.
  process.on('disconnect', () => process.exit(0));
}
