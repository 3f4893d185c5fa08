import { encode, fixedBytes, struct, u32, u8, type TypeOf } from './wire.js';

/**
 * The link stage's messages (protocol.h): both ends use these descriptions, the server's link
 * stage and the client. Capability words follow the fixed part at `caps_offset`.
 */

export const linkMagic = 0x51444552; // "REDQ"
export const protocolMajor = 2;
export const protocolMinor = 2;
export const ticketPubkeyBytes = 162;
export const ticketBytes = 128;
/** SPICE_MAX_PASSWORD_LENGTH: clients refuse longer tickets, and so does spice-server. */
export const maxPasswordLength = 60;
export const authMechanism = { spice: 1, sasl: 2 } as const;

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
export const linkErrorName = (code: number): string => Object.entries(LinkError).find(([, v]) => v === code)?.[0] ?? `error ${code}`;

export const LinkHeader = struct('LinkHeader', { magic: u32, major_version: u32, minor_version: u32, size: u32 });
export const linkHeaderBytes = 16;

export const LinkMess = struct('LinkMess', {
  connection_id: u32,
  channel_type: u8,
  channel_id: u8,
  num_common_caps: u32,
  num_channel_caps: u32,
  caps_offset: u32,
});
export type LinkMess = TypeOf<typeof LinkMess>;
export const linkMessBytes = 18;

export const LinkReply = struct('LinkReply', {
  error: u32,
  pub_key: fixedBytes(ticketPubkeyBytes),
  num_common_caps: u32,
  num_channel_caps: u32,
  caps_offset: u32,
});
export type LinkReply = TypeOf<typeof LinkReply>;
export const linkReplyBytes = 178;

function withCaps(fixed: Uint8Array, common: readonly number[], channel: readonly number[]): Uint8Array {
  const out = new Uint8Array(linkHeaderBytes + fixed.length + 4 * (common.length + channel.length));
  out.set(
    encode(LinkHeader, {
      magic: linkMagic,
      major_version: protocolMajor,
      minor_version: protocolMinor,
      size: out.length - linkHeaderBytes,
    }),
  );
  out.set(fixed, linkHeaderBytes);
  const v = new DataView(out.buffer);
  [...common, ...channel].forEach((c, i) => v.setUint32(linkHeaderBytes + fixed.length + 4 * i, c >>> 0, true));
  return out;
}

/** The client's link: header, SpiceLinkMess, caps. */
export function encodeLinkMess(m: {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: readonly number[];
  channelCaps: readonly number[];
}): Uint8Array {
  const fixed = encode(LinkMess, {
    connection_id: m.connectionId,
    channel_type: m.channelType,
    channel_id: m.channelId,
    num_common_caps: m.commonCaps.length,
    num_channel_caps: m.channelCaps.length,
    caps_offset: linkMessBytes,
  });
  return withCaps(fixed, m.commonCaps, m.channelCaps);
}

/** The server's reply: an error alone (zeroed body, no caps), or OK with the ticket key and caps. */
export function encodeLinkReply(
  error: LinkErrorCode,
  pubKey: Uint8Array | null,
  common: readonly number[],
  channel: readonly number[],
): Uint8Array {
  const ok = error === LinkError.ok;
  const fixed = encode(LinkReply, {
    error,
    // Zeros in an error reply, and under SASL (no ticket, so no key).
    pub_key: ok && pubKey ? pubKey : new Uint8Array(ticketPubkeyBytes),
    num_common_caps: ok ? common.length : 0,
    num_channel_caps: ok ? channel.length : 0,
    caps_offset: ok ? linkReplyBytes : 0,
  });
  return ok ? withCaps(fixed, common, channel) : withCaps(fixed, [], []);
}

/** The u32 result after the ticket. */
export const encodeLinkResult = (code: LinkErrorCode): Uint8Array => encode(u32, code);

/** Capability words at `offset` of a link body; null when they overrun it. */
export function readCaps(
  body: Uint8Array,
  offset: number,
  common: number,
  channel: number,
): { common: number[]; channel: number[] } | null {
  const n = common + channel;
  if (n === 0) return { common: [], channel: [] };
  if (offset + 4 * n > body.length) return null;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const words = Array.from({ length: n }, (_, i) => v.getUint32(offset + 4 * i, true));
  return { common: words.slice(0, common), channel: words.slice(common) };
}
