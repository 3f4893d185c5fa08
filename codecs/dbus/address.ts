/**
 * D-Bus server addresses (specification, "Server Addresses"): `transport:key=value,...`, several
 * separated by `;`, values %-escaped. Only the unix transport with `path` or `abstract` is of use
 * here (dbus-daemon, QEMU, libvirt's private buses); others are skipped.
 */
import type { Decoded } from '../decoded.js';

/** A unix socket: a filesystem path, or (leading NUL) a name in the abstract namespace. */
export interface UnixAddress {
  readonly socketPath: string;
}

function unescapeValue(value: string): string | undefined {
  if (!/^(?:[-0-9A-Za-z_/.\\*]|%[0-9A-Fa-f]{2})*$/.test(value)) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The unix sockets an address names, in the order to try them. */
export function parseAddress(address: string): Decoded<UnixAddress[]> {
  const found: UnixAddress[] = [];
  for (const entry of address.split(';').filter((e) => e !== '')) {
    const colon = entry.indexOf(':');
    if (colon < 0) return { ok: false, error: `D-Bus address without a transport: ${JSON.stringify(entry)}` };
    if (entry.slice(0, colon) !== 'unix') continue;
    const keys = new Map<string, string>();
    for (const pair of entry
      .slice(colon + 1)
      .split(',')
      .filter((p) => p !== '')) {
      const eq = pair.indexOf('=');
      const value = eq > 0 ? unescapeValue(pair.slice(eq + 1)) : undefined;
      if (value === undefined) return { ok: false, error: `bad D-Bus address entry: ${JSON.stringify(pair)}` };
      keys.set(pair.slice(0, eq), value);
    }
    const path = keys.get('path');
    const abstract = keys.get('abstract');
    if (path !== undefined) found.push({ socketPath: path });
    else if (abstract !== undefined) found.push({ socketPath: '\0' + abstract });
  }
  return found.length ? { ok: true, value: found } : { ok: false, error: `no unix path in D-Bus address ${JSON.stringify(address)}` };
}
