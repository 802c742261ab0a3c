/** The catalogue's descriptive fields, read from a Hub info answer (missing fields stay undefined). */
export interface RepoFacts {
  author?: string;
  pipelineTag?: string | null;
  libraryName?: string | null;
  license?: string | null;
  tags?: string[];
  formats?: string[];
  gated?: string;
  private?: boolean;
  totalBytes?: number;
  fileCount?: number;
  parameters?: number | null;
  commit?: string;
  lastModified?: string;
  upstreamDownloads?: number;
  upstreamLikes?: number;
}

const FORMAT_BY_EXTENSION: Record<string, string> = {
  safetensors: 'safetensors',
  gguf: 'gguf',
  ggml: 'ggml',
  onnx: 'onnx',
  bin: 'pytorch',
  pt: 'pytorch',
  pth: 'pytorch',
  h5: 'tensorflow',
  tflite: 'tflite',
  msgpack: 'flax',
  mlmodel: 'coreml',
  parquet: 'parquet',
  arrow: 'arrow',
  csv: 'csv',
  jsonl: 'jsonl',
  nemo: 'nemo',
  openvino: 'openvino',
};

/** Formats named by file extensions (`model.safetensors` → `safetensors`), sorted, distinct. */
export function formatsOf(paths: string[]): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
    const format = ext && FORMAT_BY_EXTENSION[ext];
    if (format) found.add(format);
  }
  return [...found].sort();
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
const clip = (v: string | undefined, max: number) => v?.slice(0, max);

/** Facts an info answer states; fields it lacks are left out so earlier knowledge is kept. */
export function factsFromInfo(info: Record<string, unknown>): RepoFacts {
  const facts: RepoFacts = {};
  if (str(info.author)) facts.author = clip(str(info.author), 200);
  if ('pipeline_tag' in info) facts.pipelineTag = clip(str(info.pipeline_tag), 64) ?? null;
  if ('library_name' in info) facts.libraryName = clip(str(info.library_name), 64) ?? null;
  const tags = Array.isArray(info.tags) ? info.tags.filter((t): t is string => typeof t === 'string') : [];
  if (Array.isArray(info.tags)) facts.tags = tags.slice(0, 200).map((t) => t.slice(0, 100));
  const card = (info.cardData ?? {}) as Record<string, unknown>;
  const cardLicense = Array.isArray(card.license) ? card.license[0] : card.license;
  const tagLicense = tags.find((t) => t.startsWith('license:'))?.slice('license:'.length);
  const license = str(cardLicense) ?? tagLicense;
  if (license) facts.license = license.slice(0, 64);
  if (info.gated !== undefined) facts.gated = info.gated === false ? 'false' : String(info.gated).slice(0, 8);
  if (typeof info.private === 'boolean') facts.private = info.private;
  if (Array.isArray(info.siblings)) {
    const siblings = info.siblings as Array<{ rfilename?: unknown; size?: unknown }>;
    const paths = siblings.map((s) => s.rfilename).filter((p): p is string => typeof p === 'string');
    facts.formats = formatsOf(paths);
    facts.fileCount = paths.length;
    const sizes = siblings.map((s) => num(s.size));
    if (sizes.length && sizes.every((s) => s !== undefined))
      facts.totalBytes = sizes.reduce((a, b) => a! + b!, 0);
  }
  const st = (info.safetensors ?? info.gguf) as { total?: unknown } | undefined;
  if (st && num(st.total) !== undefined) facts.parameters = num(st.total);
  if (str(info.sha) && /^[0-9a-f]{40}$/.test(str(info.sha)!)) facts.commit = str(info.sha);
  if (str(info.lastModified)) facts.lastModified = clip(str(info.lastModified), 40);
  if (num(info.downloads) !== undefined) facts.upstreamDownloads = num(info.downloads);
  if (num(info.likes) !== undefined) facts.upstreamLikes = num(info.likes);
  return facts;
}
