import * as z from 'zod/mini';
import { en } from 'zod/locales';

// The checks' own messages (a wrong type, a missing member) in English, as the classic build has them.
z.config(en());

/**
 * The control socket's protocol, in QMP's shape: one JSON object a line each way; a greeting
 * first; `{"execute": NAME, "arguments": {...}, "id": ...}` answered by `{"return": ...}` or
 * `{"error": {"class", "desc"}}`, with the request's `id` echoed. Commands are named as QEMU's
 * where QEMU has one, with its arguments.
 */

const spice = z.literal('spice', { error: 'only spice is served here' });
/** A port of client_migrate_info: SPICE's u16, or QEMU's -1 for none. */
const migrationPort = z.number().check(z.int(), z.gte(-1, 'expected 1..65535 or -1'), z.lte(65535, 'expected 1..65535 or -1'));

const commands = z.discriminatedUnion('execute', [
  /** Accepted for QMP clients that negotiate first; nothing to negotiate. */
  z.strictObject({ execute: z.literal('qmp_capabilities'), arguments: z.optional(z.strictObject({})) }),
  z.strictObject({
    execute: z.literal('set_password'),
    arguments: z.strictObject({ protocol: spice, password: z.string(), connected: z.optional(z.enum(['keep', 'fail', 'disconnect'])) }),
  }),
  /** time: now, never, +SECONDS from now, or SECONDS since the epoch, as QEMU. */
  z.strictObject({
    execute: z.literal('expire_password'),
    arguments: z.strictObject({
      protocol: spice,
      time: z.string().check(z.regex(/^(now|never|\+?\d{1,15})$/, 'expected now, never, +SECONDS or SECONDS since the epoch')),
    }),
  }),
  z.strictObject({ execute: z.literal('query-spice'), arguments: z.optional(z.strictObject({})) }),
  /** Not QEMU's: ends a client's session (default the connected one). */
  z.strictObject({
    execute: z.literal('spice-disconnect'),
    arguments: z.optional(z.strictObject({ 'connection-id': z.optional(z.number().check(z.int(), z.nonnegative())) })),
  }),
  /** Where clients go on a switch; QEMU's arguments (-1: no such port, as libvirt may pass). */
  z.strictObject({
    execute: z.literal('client_migrate_info'),
    arguments: z
      .strictObject({
        protocol: spice,
        // Sent to clients as a NUL-terminated string: a host name or an address, nothing else.
        hostname: z.string().check(z.regex(/^[A-Za-z0-9._:%-]{1,255}$/, 'expected a host name or an IP address (at most 255 characters)')),
        port: z.optional(migrationPort),
        'tls-port': z.optional(migrationPort),
        // spice-gtk parses it as "C=..,O=..,CN=.."; control characters and NUL have no place in it.
        'cert-subject': z.optional(
          z.string().check(z.regex(/^\P{Cc}{1,1024}$/u, 'expected a certificate subject of 1..1024 printable characters')),
        ),
      })
      .check(z.refine((a) => (a.port ?? -1) > 0 || (a['tls-port'] ?? -1) > 0, { message: 'port or tls-port is needed' })),
  }),
  /** Not QEMU's (spice-server's spice_server_migrate_switch): sends connected clients to the client_migrate_info target. */
  z.strictObject({ execute: z.literal('spice-migrate-switch'), arguments: z.optional(z.strictObject({})) }),
]);

export type ControlCommand = z.infer<typeof commands>;
const commandNames: readonly string[] = commands.def.options.map((o) => o.def.shape.execute.def.values[0]!);

/** QMP's error classes that apply here. */
export type ErrorClass = 'GenericError' | 'CommandNotFound';

export type ControlReply = { readonly return: unknown } | { readonly error: { readonly class: ErrorClass; readonly desc: string } };

export const failure = (desc: string, errorClass: ErrorClass = 'GenericError'): ControlReply => ({ error: { class: errorClass, desc } });

/** The id a request carries, echoed in its reply (any JSON value, as QMP). */
type RequestId = { readonly id?: unknown };

/** A request line: the command, or the error reply it gets. */
export function parseRequest(line: string): { command: ControlCommand; id: RequestId } | { reply: ControlReply; id: RequestId } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return { reply: failure(`JSON parse error, ${(err as Error).message}`), id: {} };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { reply: failure('QMP input must be a JSON object'), id: {} };
  const { id, ...request } = json as Record<string, unknown>;
  const echo: RequestId = id === undefined ? {} : { id };
  if (typeof request.execute !== 'string') return { reply: failure("QMP input lacks member 'execute'"), id: echo };
  if (!commandNames.includes(request.execute))
    return { reply: failure(`The command ${request.execute} has not been found`, 'CommandNotFound'), id: echo };
  const parsed = commands.safeParse(request);
  if (!parsed.success)
    return { reply: failure(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')), id: echo };
  return { command: parsed.data, id: echo };
}

/** The greeting sent on connect, as QMP's (`capabilities` empty: nothing to negotiate). */
export const greeting = (version: string) => ({ QMP: { version: { 'spice-companion': version }, capabilities: [] as string[] } });

/** QEMU's SpiceChannel. */
export interface SpiceChannelInfo {
  readonly host: string;
  readonly port: string;
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly 'connection-id': number;
  readonly 'channel-type': number;
  readonly 'channel-id': number;
  readonly tls: boolean;
}

/** QEMU's SpiceInfo, as far as it applies. */
export interface SpiceInfo {
  readonly enabled: true;
  readonly migrated: false;
  readonly host: string;
  readonly port?: number;
  readonly 'tls-port'?: number;
  readonly auth: 'spice' | 'none';
  readonly 'compiled-version': string;
  readonly 'mouse-mode': 'client' | 'server' | 'unknown';
  readonly channels: readonly SpiceChannelInfo[];
  /** Not QEMU's: the client_migrate_info target while one is set. */
  readonly migration?: MigrationTarget;
}

/** client_migrate_info's target, as given (ports absent or -1 mean none). */
export interface MigrationTarget {
  readonly hostname: string;
  readonly port?: number;
  readonly 'tls-port'?: number;
  readonly 'cert-subject'?: string;
}
