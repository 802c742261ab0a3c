import { Readable } from 'node:stream';
import { ChunkSource, SourceFile, UpstreamRouter } from '@dingo/upstream';
import { FakeUpstream, unreachable } from '@dingo/upstream/testing';
import { lfsFile, rangeAnswer, readAll } from '../testing/unit-harness';
import { UpstreamFileError, UpstreamFileReader } from './upstream-file-reader';

const HUB = 'https://hub.example';

/** A ChunkSource over bytes in memory that records what it was asked. */
class MemorySource implements ChunkSource {
  readonly id = 'memory';
  readonly asked: Array<[number, number]> = [];
  coversCalls = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly holds = true,
  ) {}
  async covers(_file: SourceFile): Promise<boolean> {
    this.coversCalls++;
    return this.holds;
  }
  async openRange(_file: SourceFile, start: number, end: number): Promise<Readable> {
    this.asked.push([start, end]);
    return Readable.from([this.bytes.subarray(start, end)]);
  }
}

describe('UpstreamFileReader fallback sources', () => {
  const { bytes, file } = lfsFile(100);
  const setup = (fallbacks: ChunkSource[]) => {
    const upstream = new FakeUpstream();
    const reader = new UpstreamFileReader(new UpstreamRouter(upstream, [HUB]), undefined, fallbacks);
    return { upstream, reader };
  };

  it('reads from the hub when it answers; the fallback is not asked', async () => {
    const ms = new MemorySource(bytes);
    const { upstream, reader } = setup([ms]);
    upstream.answer((req) => rangeAnswer(bytes, req.headers?.range));
    expect(await readAll(await reader.open({ file }, 10, 19))).toEqual(bytes.subarray(10, 20));
    expect(ms.coversCalls).toBe(0);
  });

  it('reads bytes [start, end] from a fallback that covers the file when the hub is unreachable or 5xx/429', async () => {
    for (const fail of [() => unreachable(HUB), () => ({ status: 503 }), () => ({ status: 429 })]) {
      const ms = new MemorySource(bytes);
      const { upstream, reader } = setup([new MemorySource(bytes, false), ms]);
      upstream.answer(fail);
      expect(await readAll(await reader.open({ file }, 10, 19))).toEqual(bytes.subarray(10, 20));
      expect(ms.asked).toEqual([[10, 20]]); // [start, end) for the source
    }
  });

  it("keeps the hub's refusal (403, 404) and its error when no fallback holds the file", async () => {
    for (const status of [403, 404]) {
      const ms = new MemorySource(bytes);
      const { upstream, reader } = setup([ms]);
      upstream.answer(() => ({ status }));
      await expect(reader.open({ file }, 0, 9)).rejects.toMatchObject({ status });
      expect(ms.coversCalls).toBe(0);
    }
    const none = new MemorySource(bytes, false);
    const { upstream, reader } = setup([none]);
    upstream.answer(() => ({ status: 502 }));
    const err = await reader.open({ file }, 0, 9).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamFileError);
    expect(err).toMatchObject({ status: 502, retryable: true });
    expect(none.asked).toEqual([]);
  });

  it('never asks a fallback for a hosted file', async () => {
    const ms = new MemorySource(bytes);
    const { reader } = setup([ms]);
    await expect(reader.open({ file: { ...file, hosted: true } }, 0, 9)).rejects.toThrow(/hosted/);
    expect(ms.coversCalls).toBe(0);
  });
});
