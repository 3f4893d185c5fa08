import type { Duplex } from 'node:stream';
import type { LinkedChannel } from '../channel-client/handoff.js';
import type { AuthThrottle } from './auth-throttle.js';
import { ByteReader, ReadError } from './byte-reader.js';
import type { Sessions } from './sessions.js';
import { checkTicket, type LinkKeys, type TicketPolicy } from './ticket.js';

// The SPICE link stage, server side, in spice-server's order of checks (reds.cpp).

export const LinkError = {
  ok: 0,
  error: 1,
  invalidMagic: 2,
  invalidData: 3,
  versionMismatch: 4,
  needSecured: 5,
  needUnsecured: 6,
  permissionDenied: 7,
  badConnectionId: 8,
  channelNotAvailable: 9,
} as const;
export type LinkErrorCode = (typeof LinkError)[keyof typeof LinkError];

export const mainChannelType = 1;
const magic = 0x51444552; // "REDQ"
const linkMessMin = 18;
const linkMessMax = 4096;
const maxCapWords = 1024;
const replySize = 178;
const ticketSize = 128;
const authSpice = 1;
/** Common caps: AUTH_SELECTION 0, AUTH_SPICE 1, MINI_HEADER 3. */
export const serverCommonCaps = [(1 << 0) | (1 << 1) | (1 << 3)];
export const hasCap = (caps: readonly number[], bit: number): boolean => ((caps[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;

export interface LinkStageContext {
  readonly keys: LinkKeys;
  readonly policy: () => TicketPolicy;
  readonly throttle: AuthThrottle;
  readonly sessions: Sessions;
  /** Over TLS. */
  readonly secure: boolean;
  readonly secureChannels: ReadonlySet<number>;
  channelExists(type: number, id: number): boolean;
  channelCaps(type: number): readonly number[];
  readonly peer: string;
  readonly timeoutMs: number;
  now(): number;
}

export type LinkOutcome =
  | { readonly ok: true; readonly link: LinkedChannel; readonly leftover: Buffer; readonly replaced: number | null }
  | { readonly ok: false; readonly reason: string; readonly ticketRefused?: boolean };

function header(size: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(magic, 0);
  b.writeUInt32LE(2, 4);
  b.writeUInt32LE(2, 8);
  b.writeUInt32LE(size, 12);
  return b;
}

/** SpiceLinkHeader + SpiceLinkReply (+ caps). An error reply has an all-zero body but its code. */
function reply(error: LinkErrorCode, publicKey: Uint8Array | null, common: readonly number[], channel: readonly number[]): Buffer {
  const caps = error === LinkError.ok ? [...common, ...channel] : [];
  const body = Buffer.alloc(replySize + 4 * caps.length);
  body.writeUInt32LE(error, 0);
  if (error === LinkError.ok) {
    body.set(publicKey!, 4);
    body.writeUInt32LE(common.length, 166);
    body.writeUInt32LE(channel.length, 170);
    body.writeUInt32LE(replySize, 174);
    caps.forEach((c, i) => body.writeUInt32LE(c >>> 0, replySize + 4 * i));
  }
  return Buffer.concat([header(body.length), body]);
}

const result = (code: LinkErrorCode): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(code, 0);
  return b;
};

const errorNames = Object.fromEntries(Object.entries(LinkError).map(([k, v]) => [v, k])) as Record<number, string>;

/** Runs the link stage on `stream`; on success the stream is paused and its surplus returned. */
export async function negotiateLink(stream: Duplex, ctx: LinkStageContext): Promise<LinkOutcome> {
  const reader = new ByteReader(stream);
  const deadline = Date.now() + ctx.timeoutMs;
  const refuse = (code: LinkErrorCode, why: string, asResult = false): LinkOutcome => {
    stream.end(asResult ? result(code) : reply(code, null, [], []));
    reader.release();
    return { ok: false, reason: `${errorNames[code]}: ${why}`, ticketRefused: code === LinkError.permissionDenied };
  };
  try {
    const head = await reader.read(16, deadline);
    if (head.readUInt32LE(0) !== magic) return refuse(LinkError.invalidMagic, `magic 0x${head.readUInt32LE(0).toString(16)}`);
    const major = head.readUInt32LE(4);
    if (major !== 2) return refuse(LinkError.versionMismatch, `protocol ${major}.${head.readUInt32LE(8)}`);
    const size = head.readUInt32LE(12);
    if (size < linkMessMin || size > linkMessMax) return refuse(LinkError.invalidData, `link message of ${size} bytes`);
    const mess = await reader.read(size, deadline);
    const connectionId = mess.readUInt32LE(0);
    const channelType = mess.readUInt8(4);
    const channelId = mess.readUInt8(5);
    const numCommon = mess.readUInt32LE(6);
    const numChannel = mess.readUInt32LE(10);
    const capsOffset = mess.readUInt32LE(14);
    if (numCommon > maxCapWords || numChannel > maxCapWords) return refuse(LinkError.invalidData, `${numCommon}+${numChannel} capability words`);
    const capWords = numCommon + numChannel;
    if (capWords > 0 && (capsOffset < linkMessMin || capsOffset + 4 * capWords > size)) {
      return refuse(LinkError.invalidData, `capabilities at ${capsOffset} overrun the ${size}-byte message`);
    }
    const word = (i: number) => mess.readUInt32LE(capsOffset + 4 * i);
    const commonCaps = Array.from({ length: numCommon }, (_, i) => word(i));
    const channelCaps = Array.from({ length: numChannel }, (_, i) => word(numCommon + i));
    if (!ctx.secure && ctx.secureChannels.has(channelType)) return refuse(LinkError.needSecured, `channel ${channelType} is TLS-only`);
    if (channelType !== mainChannelType && !ctx.channelExists(channelType, channelId)) {
      // spice-server closes without a reply here.
      stream.destroy();
      reader.release();
      return { ok: false, reason: `no channel ${channelType}:${channelId}` };
    }
    const key = await ctx.keys.next();
    stream.write(reply(LinkError.ok, key.publicDer, serverCommonCaps, ctx.channelCaps(channelType)));
    if (hasCap(commonCaps, 0)) {
      const mechanism = (await reader.read(4, deadline)).readUInt32LE(0);
      if (mechanism !== authSpice) return refuse(LinkError.invalidData, `auth mechanism ${mechanism}`, true);
    }
    const ticket = await reader.read(ticketSize, deadline);
    const wait = ctx.throttle.delayFor(ctx.peer, Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const verdict = checkTicket(key, ticket, ctx.policy(), ctx.now());
    if (verdict !== 'ok') {
      const failures = ctx.throttle.failed(ctx.peer, Date.now());
      return refuse(LinkError.permissionDenied, `${verdict === 'expired' ? 'password expired' : 'wrong ticket'} (${failures} in a row from ${ctx.peer})`, true);
    }
    ctx.throttle.succeeded(ctx.peer);
    let session: number;
    let replaced: number | null = null;
    if (channelType === mainChannelType) {
      if (connectionId !== 0) return refuse(LinkError.badConnectionId, `main link with connection id ${connectionId} (migration is not supported)`, true);
      ({ session, replaced } = ctx.sessions.startMain());
    } else {
      if (!ctx.sessions.accepts(connectionId)) return refuse(LinkError.badConnectionId, `connection id ${connectionId} is no live session`, true);
      session = connectionId;
    }
    stream.write(result(LinkError.ok));
    const leftover = reader.release();
    return {
      ok: true,
      link: { session, channelType, channelId, commonCaps, channelCaps, secure: ctx.secure, peer: ctx.peer },
      leftover,
      replaced,
    };
  } catch (err) {
    reader.release();
    stream.destroy();
    if (err instanceof ReadError) return { ok: false, reason: `link stage: ${err.message}` };
    throw err;
  }
}
