// s3rver (the S3 the distributed e2e suite uses) in a process of its own, so that in distributed
// mode the chunk store's CPU and memory count as part of the deployment, not of the bench.
import { startS3 } from '@dingo/test-infra';
import { serveIpc } from './ipc';

let s3: Awaited<ReturnType<typeof startS3>> | undefined;

serveIpc({
  async start(args: { bucket: string }) {
    s3 = await startS3();
    return s3.url(args.bucket);
  },
  async stop() {
    await s3?.close();
    setImmediate(() => process.exit(0));
  },
});

process.on('disconnect', () => process.exit(0));
