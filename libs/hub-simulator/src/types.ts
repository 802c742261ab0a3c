// Public types of the Hub simulator. Test suites and benchmarks code against these names.

export type SimRepoType = 'model' | 'dataset' | 'space';

export interface SimFileSpec {
  /** Path inside the repo: 'config.json', 'nested/dir/model-00001.safetensors'. */
  path: string;
  /** Generate `size` deterministic pseudo-random bytes (seeded by repo id + path + content version). */
  size?: number;
  /** Or explicit content. */
  content?: string | Buffer;
  /** Default: true when size >= 1_000_000 or the extension is .safetensors/.bin/.parquet/.gguf/.onnx/.pt. */
  lfs?: boolean;
  /** LFS only: resolve responses carry the Hub's Xet headers (X-Xet-Hash, X-Xet-Refresh-Route, Link). */
  xet?: boolean;
}

/** Each commit is the previous tree plus `files`, minus `deletes` (a path, or a folder and all below it). */
export interface SimCommitSpec {
  files: SimFileSpec[];
  message?: string;
  deletes?: string[];
  /**
   * Index of the commit this one builds on (default: the previous one); null starts an orphan
   * history with an empty tree, like the Hub's refs/convert/parquet branch.
   */
  parent?: number | null;
}

export interface SimRepoSpec {
  type: SimRepoType;
  /** 'org/name' or 'name'. */
  id: string;
  private?: boolean;
  gated?: false | 'auto' | 'manual';
  /** commits[0] is the first; 'main' points at the last. */
  commits: SimCommitSpec[];
  /** Tag name -> commit index. */
  tags?: Record<string, number>;
  /** Extra branches, e.g. {'refs/convert/parquet': 0, 'dev': 1}. */
  branches?: Record<string, number>;
  /** refs/pr/N -> commit index: prs[N-1] is the commit index of PR N. */
  prs?: number[];
  cardData?: Record<string, unknown>;
  pipelineTag?: string;
  libraryName?: string;
  /** Repo tags shown in /api info (not git tags: see `tags`). */
  repoTags?: string[];
  /** Spaces only: shown as `sdk` in /api info (default 'gradio'). */
  sdk?: string;
}

export interface SimTokenGrant {
  user: string;
  orgs?: string[];
  /** Gated/private repo ids this token may read, '*' = all. */
  approved?: string[];
}

export interface SimOptions {
  /** Where generated file contents are written (served from disk). */
  dataDir: string;
  /** Address both origins listen on (default 127.0.0.1; the HA suite uses a namespace's address). */
  host?: string;
  /** 0 = ephemeral (default). */
  port?: number;
  cdnPort?: number;
  /**
   * Loopback address of the CDN origin (default 127.0.0.1). huggingface_hub follows a HEAD redirect
   * whose host equals the endpoint's (ports are ignored), so Python suites that must see the Hub's
   * 302 itself, as on the real Hub, give the CDN its own host, e.g. 127.0.0.2.
   */
  cdnHost?: string;
  tokens?: Record<string, SimTokenGrant>;
  /** Bytes/s cap for each connection's file body (hub resolve + CDN); 0/undefined = unlimited. */
  bandwidthPerConnection?: number;
  /**
   * Bytes/s cap for all file bodies together (hub resolve + CDN), like one uplink; 0/undefined =
   * unlimited (the default, like the Hub). Two simulators with different caps model two upstreams.
   */
  bandwidthTotal?: number;
  /** Added before every response's headers. */
  latencyMs?: number;
  /** Signed CDN URL lifetime (default 3600); expired -> 403 like CloudFront. */
  cdnUrlTtlSeconds?: number;
  /** Tree page size; default like the Hub: 1000 without expand, 50 with expand. */
  treePageSize?: number;
  /**
   * Like the Hub, gzip regular text/JSON file bodies on GET resolve when the client sends
   * `Accept-Encoding: gzip` (why Python sends `identity` on its HEAD). Off by default.
   */
  gzipTextFiles?: boolean;
  /** The CAS origin (Xet reconstruction API); 0 = ephemeral. */
  casPort?: number;
  /** How new xorb chunks are compressed (falls back to none per chunk when it does not help). Default lz4. */
  xetCompression?: 'none' | 'lz4' | 'bg4-lz4';
  /** Chunk bytes per xorb (default 64 MiB, like the Hub); lower it to spread a file over several xorbs. */
  xetXorbBytes?: number;
  /** Lifetime of tokens from `xet-read-token` (default 3600). Expired -> CAS answers 401. */
  xetTokenTtlSeconds?: number;
  /** Serve `GET /v2/reconstructions/…` (default true); false answers 404 so clients fall back to v1. */
  xetReconstructionV2?: boolean;
}

export type SimFault =
  /** Destroy the socket after N body bytes. */
  | { kind: 'reset'; afterBytes: number }
  /** Answer with this status and a Hub-like JSON error body. */
  | { kind: 'status'; status: number }
  /** Delay before headers. */
  | { kind: 'slow-start'; delayMs: number }
  /** Stop sending after N body bytes but keep the socket open (until stop()). */
  | { kind: 'stall'; afterBytes: number }
  /** A hostile or broken origin: answer with a redirect to `location` instead (e.g. an internal address). */
  | { kind: 'redirect'; location: string; status?: number }
  /** gzip the body and say so in Content-Encoding, whether or not the client asked for it. */
  | { kind: 'gzip' }
  /** Send the body with the byte at `atByte` flipped: content that does not match its own hash. */
  | { kind: 'corrupt'; atByte: number }
  /** Add (or override) response headers, e.g. a Link to a foreign host. */
  | { kind: 'headers'; set: Record<string, string> }
  /**
   * Answer with these exact bytes instead (e.g. a gzip bomb, a non-JSON page, a giant error), over the
   * original headers with `headers` set on top and, when given, another status. Content-Length is
   * the new body's unless `headers` sets one.
   */
  | { kind: 'body'; body: Buffer | string; status?: number; headers?: Record<string, string> };

export interface SimFileInfo {
  path: string;
  size: number;
  /** Git blob sha1 of the content, or of the LFS pointer file for LFS files. */
  blobId: string;
  sha256: string;
  lfs: boolean;
  /** LFS only: length of the pointer file. */
  pointerSize?: number;
  /** Where the content is stored (shared by every file with the same sha256). */
  diskPath: string;
  xet: boolean;
  /** Xet files only: the file's real Xet hash (64 hex), sent as X-Xet-Hash; its chunks are in xorbs. */
  xetHash?: string;
}

export interface SimCommit {
  sha: string;
  files: Map<string, SimFileInfo>;
  index: number;
  message: string;
  date: Date;
}

export interface SimRepo {
  type: SimRepoType;
  id: string;
  private: boolean;
  gated: false | 'auto' | 'manual';
  commits: SimCommit[];
  /** Branch, tag, refs/pr/N, full or short (>= 7 hex) commit sha; already percent-decoded. */
  resolve(rev: string): SimCommit | undefined;
  file(rev: string, path: string): SimFileInfo | undefined;
}

export type SimOrigin = 'hub' | 'cdn' | 'cas';

export interface SimRequestRecord {
  method: string;
  origin: SimOrigin;
  /** Request path + query, as received. */
  path: string;
  /** 0 until headers are sent (or when the connection was destroyed before them). */
  status: number;
  range?: string;
  /** The bearer token, when one was sent. */
  auth?: string;
  userAgent?: string;
}

export interface SimStats {
  requests: SimRequestRecord[];
  /**
   * File content bytes written to sockets (hub resolve bodies + CDN), counted as written.
   * `path` is the file path in the repo; CDN bytes count for every path whose content has that sha256.
   */
  bytesServed(filter?: { sha256?: string; path?: string }): number;
  /** Xorb bytes served to Xet clients (CDN origin), all xorbs or one. Also included in bytesServed(). */
  xetBytesServed(filter?: { xorb?: string }): number;
  count(filter: { method?: string; origin?: SimOrigin; pathIncludes?: string }): number;
  reset(): void;
}
