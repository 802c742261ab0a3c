import { ApiCacheRecord, MetadataPort } from '../records';

/** A Nest message pattern; `ns` keeps deployments (or test runs) sharing one Redis apart. */
export interface MetadataPattern {
  cmd: string;
  ns?: string;
}

export type MetadataMethod = keyof MetadataPort;

// A Record over every MetadataPort method: adding a method to the port without a pattern here
// fails to compile.
const COMMANDS: Record<MetadataMethod, string> = {
  getRevision: 'metadata.getRevision',
  putRevision: 'metadata.putRevision',
  getFile: 'metadata.getFile',
  putFile: 'metadata.putFile',
  getBlob: 'metadata.getBlob',
  putBlob: 'metadata.putBlob',
  setBlobState: 'metadata.setBlobState',
  getChunk: 'metadata.getChunk',
  countChunks: 'metadata.countChunks',
  listChunks: 'metadata.listChunks',
  scanChunks: 'metadata.scanChunks',
  putChunk: 'metadata.putChunk',
  deleteChunk: 'metadata.deleteChunk',
  getRepo: 'metadata.getRepo',
  putRepo: 'metadata.putRepo',
  setChunkPlacement: 'metadata.setChunkPlacement',
  storageUsage: 'metadata.storageUsage',
  leastRecentChunks: 'metadata.leastRecentChunks',
  touchBlobs: 'metadata.touchBlobs',
  listPins: 'metadata.listPins',
  putPin: 'metadata.putPin',
  deletePin: 'metadata.deletePin',
  pinnedBlobKeys: 'metadata.pinnedBlobKeys',
  getManifest: 'metadata.getManifest',
  putManifest: 'metadata.putManifest',
  getApiCache: 'metadata.getApiCache',
  putApiCache: 'metadata.putApiCache',
  ping: 'metadata.ping',
};

/** One pattern per MetadataPort method. The payload of each is the method's argument list. */
export function metadataPatterns(namespace?: string): Record<MetadataMethod, MetadataPattern> {
  const entries = Object.entries(COMMANDS).map(([method, cmd]) => [
    method,
    namespace ? { cmd, ns: namespace } : { cmd },
  ]);
  return Object.fromEntries(entries) as Record<MetadataMethod, MetadataPattern>;
}

export const METADATA_PATTERNS = metadataPatterns();

/**
 * The Redis list the metadata service's replicas take calls from (RedisQueueServer) and its
 * callers push onto (RedisQueueClient): one queue per namespace, so each call reaches one replica.
 */
export const metadataQueue = (namespace?: string): string => `${namespace ?? 'dingo'}:rpc:metadata`;

/**
 * ApiCacheRecord as it travels: the transport is JSON, which would turn a Buffer into
 * `{ type: 'Buffer', data: [...] }` (four to five bytes per byte); base64 costs 4/3.
 */
export interface ApiCacheWire extends Omit<ApiCacheRecord, 'body'> {
  body: string;
}

export const apiCacheToWire = (r: ApiCacheRecord): ApiCacheWire => ({
  ...r,
  body: r.body.toString('base64'),
});
export const apiCacheFromWire = (w: ApiCacheWire): ApiCacheRecord => ({
  ...w,
  body: Buffer.from(w.body, 'base64'),
});
