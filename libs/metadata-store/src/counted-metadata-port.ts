import { MetadataPort } from './records';

/**
 * The same port, counting its calls per method (metrics: how much metadata work the data path
 * does, e.g. per chunk pulled). `counts` is read at scrape time; one increment per call.
 */
export function countedMetadataPort(
  port: MetadataPort,
  counts: Map<string, number> = new Map(),
): { port: MetadataPort; counts: Map<string, number> } {
  const wrapped = new Map<PropertyKey, unknown>();
  const counted = new Proxy(port, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      let call = wrapped.get(name);
      if (!call) {
        call = (...args: unknown[]) => {
          counts.set(name, (counts.get(name) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
        wrapped.set(name, call);
      }
      return call;
    },
  });
  return { port: counted, counts };
}
