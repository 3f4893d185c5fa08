import type { Given } from './sources.js';
import { leaves } from './settings.js';

/**
 * QEMU's `-spice` option string (`port=5930,disable-ticketing=on,tls-channel=main`) as
 * configuration keys, so that a QEMU command line moves over unchanged. Most names are the
 * companion's own; the rest are renamed, refused with what to give instead, or (gl=off) say what
 * is so anyway.
 */

/** QEMU names whose values collect into one list key of the companion's. */
const listKeys: Record<string, string> = { 'tls-channel': 'secure-channels', 'plaintext-channel': 'plaintext-channels' };

/** QEMU options with no companion key: what to give instead. */
const refused: Record<string, string> = {
  'password-secret': 'names a QEMU secret object, which the companion cannot see: give its file as password-file',
  ipv4: 'give addr=0.0.0.0 (or another IPv4 address) instead',
  ipv6: 'give addr=:: (or another IPv6 address) instead',
  rendernode: 'the companion takes the display through D-Bus without GL',
};

/** Splits QemuOpts syntax: `,` separates, `,,` is a literal comma, a key alone means on. */
export function splitQemuOpts(text: string): Array<[key: string, value: string]> {
  const parts: string[] = [];
  let part = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== ',') part += c;
    else if (text[i + 1] === ',') (part += ','), i++;
    else parts.push(part), (part = '');
  }
  parts.push(part);
  return parts
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p, 'on'] : [p.slice(0, eq), p.slice(eq + 1)];
    });
}

/** The keys a `-spice` string gives, by dotted path, and what in it cannot be taken. */
export function fromQemuSpice(text: string): { given: Map<string, Given>; errors: string[] } {
  const known = new Set(leaves().map((l) => l.path));
  const given = new Map<string, Given>();
  const lists = new Map<string, string[]>();
  const errors: string[] = [];
  for (const [key, value] of splitQemuOpts(text)) {
    const source = { kind: 'flag', flag: `--spice ${key}` } as const;
    const list = listKeys[key];
    if (list) {
      const values = lists.get(list) ?? [];
      values.push(value);
      lists.set(list, values);
      given.set(list, { raw: values.join(','), source });
    } else if (key === 'gl') {
      if (!/^(off|no|false|0)$/i.test(value))
        errors.push(`--spice gl=${value}: the companion takes the display through D-Bus without GL; only gl=off`);
    } else if (refused[key]) errors.push(`--spice ${key}: ${refused[key]}`);
    else if (known.has(key) && !key.includes('.')) given.set(key, { raw: value, source });
    else errors.push(`--spice ${key}: not one of QEMU's -spice options (see --help)`);
  }
  return { given, errors };
}
