import { UpstreamRefusedError } from './address-policy';
import { OriginBook, retryAfterMs } from './origin-book';
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
      expect.objectContaining({
        origin: A,
        latencyMs: null,
        up: false,
        trouble: 'unreachable',
        current: false,
      }),
      expect.objectContaining({ origin: B, up: true, current: true }),
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
    // Back-off over: A is up again, but B stays current (A is not faster by the switch threshold).
    now += 2;
    state.aDown = false;
    http.requests.length = 0;
    await router.send({ url: '/3' });
    expect(http.requests.map((r) => r.url)).toEqual([`${B}/3`]);
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
    // An error status is an answer: the origin is reachable (both 503: the last one is returned).
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
    const router = new UpstreamRouter(http, [A, B], { switchThresholdMs: 300 });
    await router.send({ url: '/1' }); // A: 400 ms; B never measured: it does not outrank A
    expect(router.primary).toBe(A);
    await router.probe(B); // B: 10 ms, better than A by more than 300 ms
    expect(router.primary).toBe(B);
    await router.send({ url: '/2' });
    expect(http.requests.map((r) => r.url)).toEqual([`${A}/1`, `${B}/api/models?limit=1`, `${B}/2`]);
    expect(router.health().map((h) => h.latencyMs)).toEqual([400, 10]);
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

describe('UpstreamRouter: probes, switch threshold, 429/5xx/timeouts as trouble (issue 13)', () => {
  let now: number;
  let clock: number;
  beforeEach(() => {
    now = 1_000_000;
    clock = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    jest.spyOn(performance, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  /** Each origin answers after `ms[origin]` of (fake) time with `status[origin]` (default 200). */
  function scripted(ms: Record<string, number>, status: Record<string, number> = {}, headers = {}) {
    return new FakeUpstream((req) => {
      const origin = new URL(req.url).origin;
      clock += ms[origin] ?? 1;
      return { status: status[origin] ?? 200, headers, body: 'x' };
    });
  }

  it('an origin never measured does not rank fastest (the latency-0 wart): measured ones go first', async () => {
    const http = scripted({ [A]: 50, [B]: 5 });
    const router = new UpstreamRouter(http, [A, B], { switchThresholdMs: 0 });
    await router.send({ url: '/1' });
    expect(router.health().map((h) => h.latencyMs)).toEqual([50, null]);
    expect(router.primary).toBe(A);
    await router.send({ url: '/2' });
    expect(http.requests.map((r) => r.url)).toEqual([`${A}/1`, `${A}/2`]);
  });

  it('switches only when another origin is faster by more than the threshold, and tells observers', async () => {
    const ms = { [A]: 400, [B]: 200 };
    const http = scripted(ms);
    const router = new UpstreamRouter(http, [A, B], { switchThresholdMs: 300 });
    const switches: string[] = [];
    router.observe({
      answered: () => undefined,
      failed: () => undefined,
      switched: (f, t) => switches.push(`${f}->${t}`),
    });
    await router.probe(A);
    await router.probe(B);
    expect(router.primary).toBe(A); // 200 ms better: under the threshold
    ms[B] = 10;
    for (let i = 0; i < 10; i++) await router.probe(B); // B's moving average falls towards 10 ms
    expect(router.health()[1].latencyMs).toBeLessThan(100);
    expect(router.primary).toBe(B);
    expect(switches).toEqual([`${A}->${B}`]);
  });

  it('a 429 fails over and the origin gets nothing until its Retry-After ends, even as the last resort', async () => {
    const status: Record<string, number> = { [A]: 429 };
    const http = scripted({}, status, { 'retry-after': '30' });
    const router = new UpstreamRouter(http, [A, B]);
    expect((await router.send({ url: '/1' })).origin).toBe(B);
    expect(router.health()[0]).toEqual(
      expect.objectContaining({ up: false, trouble: '429', retryInMs: 30_000 }),
    );
    status[B] = 503;
    http.requests.length = 0;
    now += 29_000;
    // B fails too: A is not asked (it said 30 s); B's 503 is what comes back.
    expect((await router.send({ url: '/2' })).status).toBe(503);
    expect(http.requests.map((r) => r.url)).toEqual([`${B}/2`]);
    now += 1_001;
    status[A] = 200;
    http.requests.length = 0;
    expect((await router.send({ url: '/3' })).origin).toBe(A);
  });

  it('only origins in Retry-After left: fails at once, saying they are rate limited', async () => {
    const http = scripted({}, { [A]: 429 }, { 'retry-after': '5' });
    const router = new UpstreamRouter(http, [A]);
    expect((await router.send({ url: '/1' })).status).toBe(429); // the only origin: its answer
    http.requests.length = 0;
    await expect(router.send({ url: '/2' })).rejects.toThrow(/rate limited \(next try in 5 s\)/);
    expect(http.requests).toHaveLength(0);
  });

  it('a 5xx is trouble: fails over, backs off with a growing delay', async () => {
    const status: Record<string, number> = { [A]: 502 };
    const http = scripted({}, status);
    const router = new UpstreamRouter(http, [A, B], { downForMs: 1_000 });
    expect((await router.send({ url: '/1' })).origin).toBe(B);
    expect(router.health()[0]).toEqual(expect.objectContaining({ trouble: '5xx', retryInMs: 1_000 }));
    http.requests.length = 0;
    await router.probe(A); // still backing off: not probed
    expect(http.requests).toHaveLength(0);
    now += 1_000;
    await router.probe(A);
    expect(router.health()[0]).toEqual(expect.objectContaining({ failures: 2, retryInMs: 2_000 }));
    status[A] = 200;
    now += 2_000;
    await router.probe(A);
    expect(router.health()[0]).toEqual(expect.objectContaining({ up: true, trouble: null, failures: 0 }));
  });

  it('a timeout is trouble: the request fails over', async () => {
    const http = new FakeUpstream((req) =>
      req.url.startsWith(A) ? unreachable(req.url, 'UND_ERR_HEADERS_TIMEOUT') : { status: 200 },
    );
    const router = new UpstreamRouter(http, [A, B]);
    expect((await router.send({ url: '/1' })).origin).toBe(B);
    expect(router.health()[0]).toEqual(expect.objectContaining({ up: false, trouble: 'timeout' }));
    expect(router.hanging).toBe(true);
  });

  it('a request pinned to an origin goes there only, and its trouble is recorded', async () => {
    const http = scripted({}, { [B]: 500 });
    const router = new UpstreamRouter(http, [A, B]);
    expect((await router.send({ url: '/f', origin: B })).status).toBe(500);
    expect(http.requests.map((r) => r.url)).toEqual([`${B}/f`]);
    expect(router.health()[1].trouble).toBe('5xx');
    await expect(router.send({ url: '/f', origin: 'https://other.test' })).rejects.toThrow(
      /not a configured/,
    );
  });

  it('probes every origin periodically', async () => {
    jest.useFakeTimers({ doNotFake: ['performance', 'Date'] });
    try {
      const http = scripted({ [A]: 20, [B]: 30 });
      const router = new UpstreamRouter(http, [A, B]);
      router.startProbing(10_000);
      await jest.advanceTimersByTimeAsync(0);
      expect(http.requests.map((r) => r.url)).toEqual([`${A}/api/models?limit=1`, `${B}/api/models?limit=1`]);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(http.requests).toHaveLength(4);
      router.stopProbing();
      // Both measured (probes run in parallel on one fake clock, so the exact values mix).
      expect(router.health().every((h) => typeof h.latencyMs === 'number')).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('OriginBook', () => {
  afterEach(() => jest.restoreAllMocks());

  it('measures throughput of an origin over the time any transfer ran (parallel transfers add up)', () => {
    let clock = 0;
    jest.spyOn(performance, 'now').mockImplementation(() => clock);
    const book = new OriginBook();
    const t1 = book.transfer(A);
    const t2 = book.transfer(A);
    // Two transfers at 2 MB/s each for a second: the origin delivers 4 MB/s.
    for (clock = 10; clock <= 1_000; clock += 10) {
      t1.add(20_000);
      t2.add(20_000);
    }
    t1.end();
    t2.end();
    const measured = book.snapshot([A])[0].throughputBytesPerSec!;
    expect(Math.abs(measured - 4_000_000) / 4_000_000).toBeLessThan(0.05);
    expect(book.snapshot([B])[0].throughputBytesPerSec).toBeNull();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7_000);
    expect(retryAfterMs(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
