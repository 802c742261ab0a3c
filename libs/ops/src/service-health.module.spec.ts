import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServiceHealthModule } from './service-health.module';

async function serve(checks: Record<string, () => Promise<unknown>>, checkTimeoutMs = 1000) {
  @Module({ imports: [ServiceHealthModule.forChecks(async () => checks, undefined, { checkTimeoutMs })] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

describe('ServiceHealthModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => app?.close());

  it('answers 503 naming the dependency that failed, and liveness stays 200', async () => {
    const s = await serve({
      database: async () => undefined,
      chunkStore: async () => Promise.reject(new Error('EACCES: permission denied')),
    });
    app = s.app;
    for (const path of ['/health', '/health/ready']) {
      const res = await fetch(s.url + path);
      expect(res.status).toBe(503);
      const body = (await res.json()) as any;
      expect(body.status).toBe('error');
      expect(body.error).toEqual({ chunkStore: { status: 'down', message: 'EACCES: permission denied' } });
      expect(body.info.database.status).toBe('up');
    }
    const live = await fetch(`${s.url}/health/live`);
    expect(live.status).toBe(200);
    expect(((await live.json()) as any).status).toBe('ok');
  });

  it('shares one round of checks between concurrent callers; 50 at once all succeed', async () => {
    let runs = 0;
    const s = await serve({
      metadata: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 50));
      },
    });
    app = s.app;
    const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${s.url}/health`)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(runs).toBeLessThan(5);
  });

  it('reports a dependency that does not answer in time as down, within the deadline', async () => {
    const s = await serve({ metadata: () => new Promise(() => undefined) }, 200);
    app = s.app;
    const started = Date.now();
    const res = await fetch(`${s.url}/health/ready`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.metadata.message).toMatch(/no answer within 200 ms/);
  });

  it('is not ready once shutdown has begun', async () => {
    const s = await serve({ metadata: async () => undefined });
    app = s.app;
    expect((await fetch(`${s.url}/health/ready`)).status).toBe(200);
    // What Nest calls on SIGTERM before closing the server.
    const controller = [...(s.app as any).container.getModules().values()]
      .flatMap((m: any) => [...m.controllers.values()])
      .map((w: any) => w.instance)
      .find((i: any) => typeof i?.beforeApplicationShutdown === 'function');
    controller.beforeApplicationShutdown();
    const res = await fetch(`${s.url}/health/ready`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.process.message).toBe('shutting down');
  });
});
