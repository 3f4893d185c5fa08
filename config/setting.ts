// zod's functional build: the settings are checked on the way to the port opening, and the
// classic build's module alone was ~100 ms of the main thread's start (the mini one ~17).
import * as z from 'zod/mini';
import { parseAddress } from '../codecs/dbus/address.js';
import { parseVideoCodecs } from '../codecs/video/codec-list.js';

/**
 * One configuration key: how its value is checked (strings from flags and the environment are
 * coerced by the same schema that checks YAML values), what it means, what it accepts, an
 * example, and its default. Everything else about configuration is derived from these.
 */
export interface Setting<T> {
  readonly schema: z.ZodMiniType<T>;
  readonly doc: string;
  /** What is accepted, in words, for help and error messages. */
  readonly range: string;
  /** A valid value as written on a command line. */
  readonly example: string;
  readonly default: T;
  /** Never printed (a password). */
  readonly secret?: boolean;
  /** The value a flag given alone means (`--demo` is `--demo live`); booleans mean on. */
  readonly bare?: string;
  /** The flag takes no value itself: the command line's arguments after `--` are its value. */
  readonly rest?: boolean;
  /** Values the syntax accepts that do nothing yet: refused at start with `why`, never taken and ignored. */
  readonly notYet?: NotYet;
}

export interface NotYet {
  readonly values: readonly unknown[];
  /** What is missing and what to use instead. */
  readonly why: string;
}

interface Meta {
  readonly doc: string;
  readonly example: string;
  readonly secret?: boolean;
  readonly bare?: string;
  readonly rest?: boolean;
  readonly notYet?: NotYet;
}

export function setting<T>(type: { schema: z.ZodMiniType<T>; range: string }, meta: Meta & { readonly default: NoInfer<T> }): Setting<T> {
  return { ...type, ...meta };
}

/** A key that is unset unless given. */
export function optional<T>(type: { schema: z.ZodMiniType<T>; range: string }, meta: Meta): Setting<T | undefined> {
  return { schema: z.optional(type.schema), range: type.range, ...meta, default: undefined };
}

const trimmed = (v: unknown): unknown => (typeof v === 'string' ? v.trim() : v);

/** `schema` applied to what `prepare` makes of the raw value (a flag's text, a YAML value). */
const prepared = <T>(prepare: (v: unknown) => unknown, schema: z.ZodMiniType<T>): z.ZodMiniType<T> => z.pipe(z.transform(prepare), schema);

export function int(min: number, max: number) {
  return {
    schema: prepared(
      (v) => {
        const s = trimmed(v);
        return typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : s;
      },
      z.int().check(z.gte(min), z.lte(max)),
    ),
    range: `an integer ${min}..${max}`,
  };
}

const truthy: Record<string, boolean> = { on: true, yes: true, true: true, '1': true, off: false, no: false, false: false, '0': false };

export function bool() {
  return {
    schema: prepared((v) => {
      const s = trimmed(v);
      return typeof s === 'string' ? (truthy[s.toLowerCase()] ?? s) : s;
    }, z.boolean()),
    range: 'on/off (also true/false, yes/no)',
  };
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V) {
  return { schema: prepared(trimmed, z.enum(values)), range: `one of ${values.join(', ')}` };
}

export function text() {
  return { schema: z.string().check(z.minLength(1)), range: 'a non-empty string' };
}

/** Text of 1..`max` bytes in UTF-8. */
export function shortText(max: number) {
  return {
    schema: z.string().check(
      z.minLength(1),
      z.refine((v) => Buffer.byteLength(v) <= max),
    ),
    range: `a non-empty string of at most ${max} bytes`,
  };
}

/** A size as WIDTHxHEIGHT, each 1..16384 (kept as written; `parseSize` splits it). */
export function size() {
  return {
    schema: prepared(
      trimmed,
      z.string().check(
        z.regex(/^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/, 'expected WIDTHxHEIGHT, e.g. 1024x768'),
        z.refine((v) => parseSize(v).every((n) => n <= 16384), 'at most 16384x16384'),
      ),
    ),
    range: 'WIDTHxHEIGHT, each 1..16384',
  };
}

/** spice-server's `video-codecs` list, `mjpeg;vp8;h264` (kept as written; `parseVideoCodecs` splits it). */
export function videoCodecList() {
  return {
    schema: prepared(
      trimmed,
      z.string().check(
        z.superRefine((v, ctx) => {
          const r = parseVideoCodecs(v);
          if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
        }),
      ),
    ),
    range: "codecs separated by ';' in order of preference (mjpeg, vp8, h264; a 'spice:' or 'gstreamer:' prefix is accepted)",
  };
}

/** HOST:PORT to listen on, an IPv6 host in brackets ([::1]:9500); port 0 picks a free one (kept as written; `parseHostPort` splits it). */
export function hostPort() {
  return {
    schema: prepared(
      trimmed,
      z.string().check(z.refine((v) => parseHostPort(v) !== null, 'expected HOST:PORT, e.g. 127.0.0.1:9500 or [::1]:9500')),
    ),
    range: 'HOST:PORT (an IPv6 host in brackets), port 0..65535',
  };
}

export function parseHostPort(v: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  return m && port <= 65535 ? { host: m[1] ?? m[2]!, port } : null;
}

export const parseSize = (v: string): [width: number, height: number] => v.split('x').map(Number) as [number, number];

/** A UUID in its usual 8-4-4-4-12 hex form. */
export function uuid() {
  return {
    schema: z
      .string()
      .check(
        z.regex(
          /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
          'expected a UUID like 12345678-9abc-def0-1234-56789abcdef0',
        ),
      ),
    range: 'UUID',
  };
}

/**
 * A D-Bus address naming a unix socket to connect to: anything else can never work, so it is
 * refused at start-up, while a socket that is not there yet is waited for.
 */
export function dbusAddress() {
  return {
    schema: prepared(trimmed, z.string().check(z.refine((v) => parseAddress(v).ok))),
    range: 'a D-Bus address with a unix socket (unix:path=PATH or unix:abstract=NAME)',
  };
}

/** A program's arguments: a list from the command line or a YAML sequence, or space-separated text. */
export function argv() {
  return {
    schema: prepared((v) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v), z.array(z.string()).check(z.minLength(1))),
    range: 'arguments (after -- on the command line; a YAML sequence, or space-separated text)',
  };
}

/** A list given as a YAML sequence or comma-separated text. */
export function listOf<const V extends readonly [string, ...string[]]>(values: V) {
  return {
    schema: prepared(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      z.array(z.enum(values)),
    ),
    range: `a list of ${values.join(', ')} (comma-separated on the command line)`,
  };
}

const bandwidthUnits: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
};

/** Bytes per second; `unlimited` is Infinity. Units as tc writes them: 10mbit, 512kbit, 2MB. */
export function bandwidth() {
  return {
    schema: prepared(
      (v) => {
        const s = trimmed(v);
        if (typeof s !== 'string') return s;
        if (s.toLowerCase() === 'unlimited') return Infinity;
        const m = /^(\d+(?:\.\d+)?)\s*([a-z]*?)(?:\/s|ps)?$/i.exec(s);
        const unit = m ? bandwidthUnits[m[2]!.toLowerCase()] : undefined;
        return m && unit ? Number(m[1]) * unit : s;
      },
      z.union([z.number().check(z.positive()), z.literal(Infinity)]),
    ),
    range: "'unlimited' or a rate: bytes per second, or with a unit (bit, kbit, mbit, gbit, B, KB, MB, GB, KiB, MiB, GiB)",
  };
}
