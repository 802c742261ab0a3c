import { hostname, networkInterfaces } from 'node:os';
import type { Request } from 'express';
import type { DingoConfig } from '@dingo/config';

/**
 * The base URL to put into links this response hands out (`Link` paging, `Location`). The
 * configured public URL always wins. Without one, the request's Host is used only if it names
 * this mirror (one of its addresses, `localhost`, its host name, or an allowed host); any other
 * Host is never reflected: the link uses the address the client actually connected to.
 */
export class PublicBase {
  private readonly fixed?: string;
  private readonly allowed: Set<string>;
  private localNames?: { at: number; names: Set<string> };

  constructor(config: DingoConfig) {
    this.fixed = config.publicUrl?.replace(/\/+$/, '');
    this.allowed = new Set(config.allowedHosts.map((h) => h.toLowerCase()));
  }

  for(req: Request): string {
    if (this.fixed) return this.fixed;
    const host = req.get('host')?.toLowerCase();
    const port = req.socket.localPort;
    if (host && this.serves(host, port)) return `${req.protocol}://${host}`;
    return `${req.protocol}://${urlHost(req.socket.localAddress ?? '127.0.0.1')}:${port}`;
  }

  private serves(host: string, port: number | undefined): boolean {
    if (this.allowed.has(host)) return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!m) return false;
    const name = m[1].replace(/^\[|\]$/g, '');
    if (this.allowed.has(name)) return true;
    const samePort = (m[2] === undefined ? 80 : Number(m[2])) === port;
    return samePort && this.names().has(name);
  }

  /** Addresses of this machine (a keepalived VIP appears here on the node holding it). */
  private names(): Set<string> {
    const now = Date.now();
    if (this.localNames && now - this.localNames.at < 10_000) return this.localNames.names;
    const names = new Set(['localhost', hostname().toLowerCase()]);
    for (const addrs of Object.values(networkInterfaces()))
      for (const a of addrs ?? []) names.add(a.address.toLowerCase());
    this.localNames = { at: now, names };
    return names;
  }
}

function urlHost(address: string): string {
  const v4 = address.replace(/^::ffff:/, '');
  return v4.includes(':') ? `[${v4}]` : v4;
}
