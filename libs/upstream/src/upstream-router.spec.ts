import { UpstreamRefusedError } from './address-policy';
import { UpstreamRouter } from './upstream-router';
import { FakeUpstream, unreachable } from './testing';

const A = 'https://a.hub.test';
const B = 'https://b.hub.test';

describe('UpstreamRouter', () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  /** A is down (connection refused) while `aDown` is true; B always answers. */
  function twoOrigins(state = { aDown: true }) {
    const http = new FakeUpstream((req) =>
      req.url.startsWith(A) && state.aDown ? unreachable(req.url) : { status: 200, body: 'ok' },
    );
    return { http, state, router: new UpstreamRouter(http, [A, B], 5_000) };
  }

  it('sends a relative path to the first listed origin while all are healthy', async () => {
    const http = new FakeUpstream(() => ({ status: 200 }));
    const router = new UpstreamRouter(http, [A, B]);
    // Before any measurement (after one, A's latency is > 0 and the unmeasured B ranks first).
    expect(router.primary).toBe(A);
    const res = await router.send({ url: '/api/models/o/m', headers: { authorization: 'Bearer t' } });
    expect(res.origin).toBe(A);
    expect(http.requests).toEqual([
      expect.objectContaining({ url: `${A}/api/models/o/m`, headers: { authorization: 'Bearer t' } }),
    ]);
  });

  it('fails over to the next origin when one is unreachable, and marks it down', async () => {
    const { http, router } = twoOrigins();
    const res = await router.send({ url: '/x' });
    expect(res.origin).toBe(B);
    expect(http.requests.map((r) => r.url)).toEqual([`${A}/x`, `${B}/x`]);
    expect(router.health()).toEqual([
      { origin: A, latencyMs: 0, up: false },
      expect.objectContaining({ origin: B, up: true }),
    ]);
    expect(router.primary).toBe(B);
  });

  it('backs off a down origin for downForMs (later requests skip it), then tries it again', async () => {
    const { http, state, router } = twoOrigins();
    await router.send({ url: '/1' });
    http.requests.length = 0;
    now += 4_999;
    await router.send({ url: '/2' });
    expect(http.requests.map((r) => r.url)).toEqual([`${B}/2`]);
    // Back-off over and A answering again: the lower-latency A is first once more.
    now += 2;
    state.aDown = false;
    http.requests.length = 0;
    await router.send({ url: '/3' });
    expect(http.requests.map((r) => r.url)).toEqual([`${A}/3`]);
    expect(router.health().every((h) => h.up)).toBe(true);
  });

  it('still tries a down origin, last, when every other one fails too', async () => {
    const state = { bDown: false };
    const http = new FakeUpstream((req) =>
      req.url.startsWith(A) || state.bDown ? unreachable(req.url) : { status: 200 },
    );
    const router = new UpstreamRouter(http, [A, B]);
    await router.send({ url: '/1' }); // A marked down
    state.bDown = true;
    http.requests.length = 0;
    await expect(router.send({ url: '/2' })).rejects.toThrow(/a\.hub\.test unreachable/);
    expect(http.requests.map((r) => r.url)).toEqual([`${B}/2`, `${A}/2`]);
  });

  it('is offline after every origin failed, and online again after any answer', async () => {
    const state = { down: true };
    const http = new FakeUpstream((req) => (state.down ? unreachable(req.url) : { status: 503 }));
    const router = new UpstreamRouter(http, [A, B]);
    expect(router.offline).toBe(false);
    await expect(router.send({ url: '/x' })).rejects.toThrow(/unreachable/);
    expect(router.offline).toBe(true);
    state.down = false;
    now += 1;
    // An error status is an answer: the origin is reachable (no failover on 5xx).
    expect((await router.send({ url: '/x' })).status).toBe(503);
    expect(router.offline).toBe(false);
  });

  it('does not fail over on errors other than unreachable (a refused address, an abort)', async () => {
    const http = new FakeUpstream(() => {
      throw new UpstreamRefusedError(A, 'private address');
    });
    const router = new UpstreamRouter(http, [A, B]);
    await expect(router.send({ url: '/x' })).rejects.toBeInstanceOf(UpstreamRefusedError);
    expect(http.requests).toHaveLength(1);
    expect(router.health().every((h) => h.up)).toBe(true);
  });

  it('sends absolute URLs (CDN redirects) as they are, without touching origin health', async () => {
    const http = new FakeUpstream((req) =>
      req.url.startsWith('https://cdn') ? unreachable(req.url) : { status: 200 },
    );
    const router = new UpstreamRouter(http, [A, B]);
    await expect(router.send({ url: 'https://cdn.test/file?sig=1' })).rejects.toThrow(/cdn\.test/);
    expect(http.requests.map((r) => r.url)).toEqual(['https://cdn.test/file?sig=1']);
    expect(router.health().every((h) => h.up)).toBe(true);
    expect(router.offline).toBe(true);
  });

  it('prefers the origin with the lower measured latency', async () => {
    let clock = 0;
    jest.spyOn(performance, 'now').mockImplementation(() => clock);
    const http = new FakeUpstream((req) => {
      clock += req.url.startsWith(A) ? 400 : 10;
      return { status: 200 };
    });
    const router = new UpstreamRouter(http, [A, B]);
    await router.send({ url: '/1' }); // A: 0.8*0 + 0.2*400 = 80 ms, B still 1 ms
    expect(router.primary).toBe(B);
    await router.send({ url: '/2' });
    expect(http.requests.map((r) => r.url)).toEqual([`${A}/1`, `${B}/2`]);
    expect(router.health().map((h) => h.latencyMs)).toEqual([80, 3]);
  });

  it('tells observers of answers and failures, by origin and kind', async () => {
    const { router } = twoOrigins();
    const answered: unknown[] = [];
    const failed: unknown[] = [];
    router.observe({
      answered: (origin, _s, status) => answered.push([origin, status]),
      failed: (origin, kind) => failed.push([origin, kind]),
    });
    await router.send({ url: '/x' });
    expect(failed).toEqual([[A, 'unreachable']]);
    expect(answered).toEqual([[B, 200]]);
    const timeouts = new UpstreamRouter(
      new FakeUpstream((req) => unreachable(req.url, 'UND_ERR_HEADERS_TIMEOUT')),
      [A],
    );
    timeouts.observe({ answered: () => undefined, failed: (origin, kind) => failed.push([origin, kind]) });
    await expect(timeouts.send({ url: '/x' })).rejects.toMatchObject({ timedOut: true });
    expect(failed).toEqual([
      [A, 'unreachable'],
      [A, 'timeout'],
    ]);
  });

  describe('a hanging origin (timeouts) and requests that can be answered from cache (failFast)', () => {
    function hangingOrigin() {
      const state = { hangs: true };
      const http = new FakeUpstream((req) =>
        state.hangs ? unreachable(req.url, 'UND_ERR_HEADERS_TIMEOUT') : { status: 200, body: 'ok' },
      );
      return { http, state, router: new UpstreamRouter(http, [A], 5_000) };
    }

    it('after one timeout, failFast requests skip it while it is down and say when it is tried next', async () => {
      const { http, router } = hangingOrigin();
      await expect(router.send({ url: '/x' })).rejects.toThrow();
      expect(router.hanging).toBe(true);
      now += 1_000;
      await expect(router.send({ url: '/x', failFast: true })).rejects.toThrow(
        /every upstream origin is down \(next try in 4 s\)/,
      );
      expect(http.requests).toHaveLength(1);
      // A request with nothing cached still waits on it.
      await expect(router.send({ url: '/x' })).rejects.toThrow();
      expect(http.requests).toHaveLength(2);
    });

    it('once its down time ran out, one failFast request at a time tries it; success clears the state', async () => {
      const { http, state, router } = hangingOrigin();
      await expect(router.send({ url: '/x' })).rejects.toThrow();
      now += 5_001;
      state.hangs = false;
      let release!: () => void;
      const slow = new Promise<void>((resolve) => (release = resolve));
      http.answer(async () => {
        await slow;
        return { status: 200, body: 'ok' };
      });
      const trial = router.send({ url: '/x', failFast: true });
      await expect(router.send({ url: '/x', failFast: true })).rejects.toThrow(
        /every upstream origin is down/,
      );
      release();
      expect((await trial).status).toBe(200);
      expect(router.hanging).toBe(false);
      expect((await router.send({ url: '/x', failFast: true })).status).toBe(200);
    });

    it('backs off longer after each failure in a row (doubling, capped)', async () => {
      const { router } = hangingOrigin();
      const downFor = async () => {
        await expect(router.send({ url: '/x' })).rejects.toThrow();
        const msg = await router.send({ url: '/x', failFast: true }).catch((e: Error) => e.message);
        return Number(/next try in (\d+) s/.exec(String(msg))![1]);
      };
      expect(await downFor()).toBe(5);
      expect(await downFor()).toBe(10);
      expect(await downFor()).toBe(20);
    });
  });
});
