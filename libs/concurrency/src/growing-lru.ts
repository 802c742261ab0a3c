import { LRUCache } from 'lru-cache';

/**
 * An LRU cache of at most `entries` entries that allocates as it fills. lru-cache's `max`
 * preallocates every slot up front (key, value and link arrays, and TTL arrays): with the caches a
 * gateway holds that was ~30 MiB of resident memory before a single entry was stored. Counting
 * entries as size 1 under `maxSize` gives the same bound without the up-front arrays.
 */
// lru-cache's own bounds on keys and values (any non-nullish value).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function growingLru<K extends {}, V extends {}>(
  entries: number,
  options: Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: () => 1 });
}
