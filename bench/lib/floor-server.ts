// The framework-overhead floor: the least a Node HTTP server can do for a request, answering every
// one with a fixed body (the mirror's own answer for the same URL, so the bytes match). Runs in its
// own process, like the gateway.
import { createServer } from 'node:http';
import { serveIpc } from './ipc';

serveIpc({
  start(args: { body: string; contentType: string }) {
    const body = Buffer.from(args.body, 'base64');
    const headers = { 'Content-Type': args.contentType, 'Content-Length': String(body.length) };
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
      );
    });
  },
  exit() {
    setImmediate(() => process.exit(0));
  },
});

process.on('disconnect', () => process.exit(0));
