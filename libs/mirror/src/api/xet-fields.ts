import { ApiRoute } from '@dingo/hub-protocol';

/**
 * Tree and paths-info entries of Xet-backed files carry `xetHash`; a client with `hf_xet` that
 * sees it downloads over the Xet protocol straight from the Hub's storage, around the mirror (and
 * fails in a closed network). Without it, the client uses the mirror's HTTP resolve route.
 */
export function withoutXetHashes(route: ApiRoute, body: Buffer): Buffer {
  if (route.action.kind !== 'tree' && route.action.kind !== 'paths-info') return body;
  if (!body.includes('"xetHash"')) return body;
  let entries: unknown;
  try {
    entries = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  if (!Array.isArray(entries)) return body;
  for (const entry of entries)
    if (entry && typeof entry === 'object') delete (entry as { xetHash?: unknown }).xetHash;
  return Buffer.from(JSON.stringify(entries), 'utf8');
}
