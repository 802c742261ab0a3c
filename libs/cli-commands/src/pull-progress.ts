import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { FetchListener, RemoteFile } from './file-fetcher';
import { formatBytes, formatDuration } from './format';

/** Where the CLI writes: the terminal or a pipe. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
  /** stderr is a terminal: live bars rather than lines. */
  isTty: boolean;
}

/**
 * Progress of a pull: on a terminal, live bars (total with speed and ETA, and one per file in
 * flight); otherwise a plain line per finished file. Speed is over the last few seconds.
 */
export class PullProgress implements FetchListener {
  private multi?: MultiBar;
  private total?: SingleBar;
  private readonly bars = new Map<string, SingleBar>();
  private done = 0;
  private filesDone = 0;
  private readonly started = Date.now();
  private readonly samples: Array<[number, number]> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly io: CliOutput,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    private readonly quiet: boolean,
  ) {
    if (quiet || !io.isTty) return;
    this.multi = new MultiBar(
      {
        clearOnComplete: false,
        hideCursor: true,
        format: '{name} |{bar}| {percentage}% {done}/{size} {speed} ETA {eta_text}',
        barsize: 30,
        stream: process.stderr,
        fps: 8,
      },
      Presets.shades_classic,
    );
    this.total = this.multi.create(Math.max(1, totalBytes), 0, this.payload('total', 0, totalBytes));
    this.timer = setInterval(() => this.refresh(), 250);
    this.timer.unref();
  }

  fileStarted(file: RemoteFile, alreadyHave: number): void {
    this.add(alreadyHave);
    if (!this.multi || file.size < 1024 * 1024) return;
    // Per file: progress only (speed and ETA are the total's).
    const bar = this.multi.create(file.size, alreadyHave, this.payload(file.path, alreadyHave, file.size), {
      format: '{name} |{bar}| {percentage}% {done}/{size}',
    });
    this.bars.set(file.path, bar);
  }

  bytes(file: RemoteFile, n: number): void {
    this.add(n);
    const bar = this.bars.get(file.path);
    if (bar) bar.increment(n, this.payload(file.path, bar.getProgress() * file.size + n, file.size));
  }

  fileDone(file: RemoteFile, how: 'fetched' | 'present'): void {
    this.filesDone++;
    if (how === 'present') this.add(file.size);
    const bar = this.bars.get(file.path);
    if (bar) {
      this.multi!.remove(bar);
      this.bars.delete(file.path);
    }
    if (!this.multi && !this.quiet)
      this.io.err(`${how === 'fetched' ? 'fetched' : 'present'} ${file.path} (${formatBytes(file.size)})`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.refresh();
    this.multi?.stop();
  }

  private add(n: number): void {
    this.done += n;
  }

  private refresh(): void {
    const now = Date.now();
    this.samples.push([now, this.done]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 3000) this.samples.shift();
    if (!this.total) return;
    this.total.update(
      this.done,
      this.payload(`total (${this.filesDone}/${this.totalFiles} files)`, this.done, this.totalBytes),
    );
  }

  private speed(): number {
    const [t0, b0] = this.samples[0] ?? [this.started, 0];
    const [t1, b1] = this.samples[this.samples.length - 1] ?? [Date.now(), this.done];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  private payload(name: string, done: number, size: number) {
    const speed = this.speed();
    return {
      name: name.length > 40 ? `…${name.slice(-39)}` : name.padEnd(12),
      done: formatBytes(done),
      size: formatBytes(size),
      speed: `${formatBytes(speed)}/s`,
      eta_text: speed > 0 ? formatDuration((size - done) / speed) : '--',
    };
  }
}
