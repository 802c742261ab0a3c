import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { request as httpRequest } from 'node:http';
import { childrenCpuSeconds } from './cpu-time';

/** One whole-file download as curl saw it. */
export interface Transfer {
  status: number;
  bytes: number;
  /** curl's time_starttransfer: request start (incl. redirects) to first body byte, seconds. */
  ttfbS: number;
  /** curl's time_total, seconds. */
  totalS: number;
  redirects: number;
}

/** N clients started together. */
export interface TransferBatch {
  transfers: Transfer[];
  /**
   * From the first transfer's start to the last one's end, as curl timed them (each client's end is
   * when the bench saw it exit, its start that minus curl's time_total): process start-up is not in it.
   */
  windowS: number;
  /** Wall time of the whole batch as the bench saw it, curl start-up included. */
  wallS: number;
  bytes: number;
  /** CPU seconds the curl processes used (the bench's reaped-children time). */
  clientCpuS: number;
}

const CURL_FORMAT = '%{http_code} %{size_download} %{time_starttransfer} %{time_total} %{num_redirects}';

export function curlVersion(): string {
  try {
    return execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('curl is needed as the download client: apt-get install -y curl');
  }
}

/**
 * Downloads `url` with curl into /dev/null. curl is the client for every byte-heavy scenario, the
 * same binary and flags for mirror, nginx and upstream: a C client that costs the 2-core machine
 * far less CPU per byte than a JS one, so the servers are what is measured.
 */
export interface DownloadOptions {
  followRedirects?: boolean;
  expectBytes?: number;
  /** Aborting kills the curl processes (the download then fails). */
  signal?: AbortSignal;
}

/**
 * `urls` may be a list: one curl process fetches them in order over one keep-alive connection
 * (the raw S3 baseline reading a file's chunk objects), and the transfer is their sum.
 */
export function curlDownload(
  urls: string | string[],
  opts: DownloadOptions = {},
): Promise<Transfer & { exitAt: number }> {
  const list = typeof urls === 'string' ? [urls] : urls;
  const args = ['-sS', '--http1.1', '--noproxy', '*', '-w', `${CURL_FORMAT}\n`];
  if (opts.followRedirects) args.push('-L');
  for (const url of list) args.push('-o', '/dev/null', url);
  const name = list.length === 1 ? list[0] : `${list[0]} (+${list.length - 1} more)`;
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const exitAt = performance.now();
      if (code !== 0) return reject(new Error(`curl ${name} exited ${code}: ${err.trim()}`));
      const each = out
        .trim()
        .split('\n')
        .map((line) => line.trim().split(' ').map(Number));
      const failed = each.find(([status]) => status !== 200);
      if (failed || each.length !== list.length)
        return reject(new Error(`curl ${name}: HTTP ${failed?.[0] ?? `${each.length} answers`}`));
      const transfer = {
        status: 200,
        bytes: each.reduce((n, t) => n + t[1], 0),
        ttfbS: each[0][2],
        totalS: each.reduce((n, t) => n + t[3], 0),
        redirects: each.reduce((n, t) => n + t[4], 0),
        exitAt,
      };
      if (opts.expectBytes !== undefined && transfer.bytes !== opts.expectBytes) {
        return reject(new Error(`curl ${name}: got ${transfer.bytes} bytes, expected ${opts.expectBytes}`));
      }
      resolve(transfer);
    });
  });
}

/** `clients` curl processes on the same URL (or list of URLs), started back to back. */
export async function curlBatch(
  url: string | string[],
  clients: number,
  opts: DownloadOptions = {},
): Promise<TransferBatch> {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const done = await Promise.all(Array.from({ length: clients }, () => curlDownload(url, opts)));
  const wallS = (performance.now() - started) / 1000;
  const firstStart = Math.min(...done.map((t) => t.exitAt - t.totalS * 1000));
  const lastEnd = Math.max(...done.map((t) => t.exitAt));
  const transfers = done.map(({ exitAt: _exitAt, ...t }) => t);
  return {
    transfers,
    windowS: (lastEnd - firstStart) / 1000,
    wallS,
    bytes: transfers.reduce((sum, t) => sum + t.bytes, 0),
    clientCpuS: childrenCpuSeconds() - cpuBefore,
  };
}

/**
 * Time to the first body byte of a GET, following redirects like a Hub client (the 302 to the CDN
 * included), then hanging up. Measured in this process, which is idle while it runs.
 */
export function timeToFirstByte(url: string, maxRedirects = 5): Promise<number> {
  const started = performance.now();
  const get = (target: string, hops: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(target, { headers: { 'accept-encoding': 'identity' }, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location && hops < maxRedirects) {
          res.resume();
          resolve(get(new URL(res.headers.location, target).toString(), hops + 1));
          return;
        }
        if (status !== 200) {
          res.destroy();
          reject(new Error(`GET ${target}: HTTP ${status}`));
          return;
        }
        res.once('data', () => {
          const ms = performance.now() - started;
          res.destroy();
          req.destroy();
          resolve(ms / 1000);
        });
        res.once('error', reject);
      });
      req.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
      });
      req.end();
    });
  return get(url, 0);
}

/** sha256 (hex) of a downloaded file, streamed: clients' results are checked, not trusted. */
export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
