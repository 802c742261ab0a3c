import { CliError, EXIT } from '../cli-errors';
import { formatBytes, table } from '../format';
import { scanHfCache } from '../hf-cache';
import { MirrorClient } from '../mirror-client';
import { CliOutput } from '../pull-progress';
import { repoType } from '../repo-spec';

export interface ListOptions {
  type?: string;
  search?: string;
  words?: string[];
  author?: string;
  task?: string;
  library?: string;
  filter?: string;
  format?: string;
  minSize?: string;
  maxSize?: string;
  cached?: boolean;
  sort?: string;
  limit?: string;
  local?: boolean;
  cacheDir: string;
  json: boolean;
}

interface ListItem {
  id: string;
  pipeline_tag?: string;
  library_name?: string;
  downloads?: number;
  dingo?: {
    type: string;
    totalBytes: number | null;
    cachedBytes: number;
    mirrorDownloads: number;
    lastAccess: string;
    formats: string[];
  };
}

/**
 * `dingo list` / `dingo search`: what the mirror's catalogue holds (the Hub listing routes answered
 * locally, so the caller sees what it may download), or with `--local` the local Hugging Face cache.
 */
export async function listCommand(client: MirrorClient, opts: ListOptions, io: CliOutput): Promise<void> {
  if (opts.local) return listLocal(opts, io);
  const types = opts.type ? [repoType(opts.type)] : (['model', 'dataset'] as const);
  if (types.some((t) => t === 'space'))
    throw new CliError(EXIT.usage, 'the catalogue lists models and datasets');
  const words = opts.words ?? [];
  const params = new URLSearchParams({ local: 'true' });
  const set = (k: string, v: string | undefined) => v !== undefined && params.set(k, v);
  set('search', opts.search ?? words[0]);
  set('author', opts.author);
  set('task', opts.task);
  set('library', opts.library);
  set('filter', opts.filter);
  set('format', opts.format);
  set('minSize', opts.minSize);
  set('maxSize', opts.maxSize);
  set('sort', opts.sort);
  set('limit', opts.limit);
  if (opts.cached) params.set('cached', 'true');
  const items: ListItem[] = [];
  for (const type of types) {
    const { body } = await client.json<ListItem[]>(`/api/${type}s?${params.toString()}`);
    items.push(...body.map((i) => ({ ...i, dingo: i.dingo && { ...i.dingo, type } })));
  }
  // Further words narrow what the first one found (the catalogue matches one substring).
  const rest = words.slice(opts.search ? 0 : 1).map((w) => w.toLowerCase());
  const shown = items.filter((i) => rest.every((w) => i.id.toLowerCase().includes(w)));
  if (opts.json) return io.out(JSON.stringify(shown));
  if (!shown.length) return io.err('nothing matches');
  io.out(
    table([
      ['TYPE', 'ID', 'TASK', 'LIBRARY', 'SIZE', 'CACHED', 'PULLS', 'LAST ACCESS'],
      ...shown.map((i) => [
        i.dingo?.type ?? '',
        i.id,
        i.pipeline_tag ?? '-',
        i.library_name ?? '-',
        i.dingo?.totalBytes == null ? '-' : formatBytes(i.dingo.totalBytes),
        formatBytes(i.dingo?.cachedBytes ?? 0),
        String(i.dingo?.mirrorDownloads ?? 0),
        i.dingo?.lastAccess?.slice(0, 19).replace('T', ' ') ?? '-',
      ]),
    ]),
  );
}

function listLocal(opts: ListOptions, io: CliOutput): void {
  const type = opts.type ? repoType(opts.type) : undefined;
  const needle = (opts.search ?? opts.words?.join(' ') ?? '').toLowerCase();
  const repos = scanHfCache(opts.cacheDir).filter(
    (r) => (!type || r.type === type) && r.id.toLowerCase().includes(needle),
  );
  if (opts.json) return io.out(JSON.stringify(repos));
  if (!repos.length) return io.err(`nothing in ${opts.cacheDir}`);
  io.out(
    table([
      ['TYPE', 'ID', 'SIZE', 'FILES', 'REFS'],
      ...repos.map((r) => [
        r.type,
        r.id,
        formatBytes(r.bytes),
        String(r.files),
        r.revisions.join(' ') || '-',
      ]),
    ]),
  );
}
