import { PassThrough } from 'node:stream';
import { ndjsonLines } from './request-body';

describe('ndjsonLines', () => {
  it('splits lines across chunks, multi-byte characters included, and reads only when asked', async () => {
    const body = Buffer.from('{"a":"日本"}\r\n{"b":2}\n{"c":3}');
    const req = new PassThrough();
    // The whole body arrives (and ends) before anyone iterates: nothing is lost.
    for (let i = 0; i < body.length; i += 3) req.write(body.subarray(i, i + 3));
    req.end();
    await new Promise((r) => setTimeout(r, 20));
    const lines: string[] = [];
    for await (const line of ndjsonLines(req)) lines.push(line);
    expect(lines).toEqual(['{"a":"日本"}', '{"b":2}', '{"c":3}']);
  });

  it('a consumer that stops early leaves the request drained, not destroyed', async () => {
    const req = new PassThrough();
    req.end('{"header":1}\n{"x":2}\n');
    for await (const line of ndjsonLines(req)) {
      expect(line).toBe('{"header":1}');
      break;
    }
    expect(req.destroyed).toBe(false);
  });
});
