import type { Duplex } from 'node:stream';
import type { LinkedChannel } from '../contracts.js';
import type { AuthThrottle } from './auth-throttle.js';
import { ByteReader, ReadError } from '../../runtime/byte-reader.js';
import type { Sessions } from './sessions.js';
import { checkTicket, type LinkKeys, type TicketPolicy } from './ticket.js';
import { capWords, ChannelType, CommonCap, hasCap } from '../../codecs/protocol/enums.js';
import {
  authMechanism,
  encodeLinkReply,
  encodeLinkResult,
  LinkError,
  LinkHeader,
  linkHeaderBytes,
  linkMagic,
  LinkMess,
  linkMessBytes,
  linkErrorName,
  protocolMajor,
  readCaps,
  ticketBytes,
  type LinkErrorCode,
} from '../../codecs/protocol/link.js';
import { decode, type Codec } from '../../codecs/protocol/wire.js';
import type { SaslSession } from '../../native/index.js';
import { runSaslExchange } from './sasl-exchange.js';

// The SPICE link stage, server side, in spice-server's order of checks (reds.cpp).

const linkMessMax = 4096;
const maxCapWords = 1024;
/** Common caps with tickets: AUTH_SELECTION, AUTH_SPICE, MINI_HEADER. */
export const serverCommonCaps = capWords([CommonCap.authSelection, CommonCap.authSpice, CommonCap.miniHeader]);
/** With SASL, AUTH_SASL in AUTH_SPICE's place, as spice-server offers one of them (spice-gtk picks SASL when offered). */
export const saslCommonCaps = capWords([CommonCap.authSelection, CommonCap.authSasl, CommonCap.miniHeader]);

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
  /** The client's address and port, for logs. */
  readonly peer: string;
  /** The client's address alone: the ticket throttle's key. */
  readonly address: string;
  readonly timeoutMs: number;
  now(): number;
  /** With SASL on (TLS links only): a SASL session for this connection; tickets are then refused. */
  readonly sasl: (() => SaslSession) | null;
}

export type LinkOutcome =
  | { readonly ok: true; readonly link: LinkedChannel; readonly leftover: Buffer; readonly replaced: number | null; readonly user?: string }
  /** `error`: the refusal's kind, a short fixed name (the link error's, noChannel, linkStage) for counting; `reason` says more. */
  | { readonly ok: false; readonly error: string; readonly reason: string; readonly ticketRefused?: boolean };

/** Runs the link stage on `stream`; on success the stream is paused and its surplus returned. */
export async function negotiateLink(stream: Duplex, ctx: LinkStageContext): Promise<LinkOutcome> {
  const reader = new ByteReader(stream);
  const deadline = Date.now() + ctx.timeoutMs;
  const refuse = (code: LinkErrorCode, why: string, asResult = false): LinkOutcome => {
    stream.end(asResult ? encodeLinkResult(code) : encodeLinkReply(code, null, [], []));
    reader.release();
    return {
      ok: false,
      error: linkErrorName(code),
      reason: `${linkErrorName(code)}: ${why}`,
      ticketRefused: code === LinkError.permissionDenied,
    };
  };
  // Every turn of the throttle taken ends in failed() or succeeded().
  let turnTaken = false;
  const failedTurn = (): string => {
    if (!turnTaken) return '';
    turnTaken = false;
    return ` (${ctx.throttle.failed(ctx.address, Date.now())} in a row from ${ctx.address})`;
  };
  try {
    const head = decodeOrThrow(LinkHeader, await reader.read(linkHeaderBytes, deadline));
    if (head.magic !== linkMagic) return refuse(LinkError.invalidMagic, `magic 0x${head.magic.toString(16)}`);
    if (head.major_version !== protocolMajor)
      return refuse(LinkError.versionMismatch, `protocol ${head.major_version}.${head.minor_version}`);
    if (head.size < linkMessBytes || head.size > linkMessMax) return refuse(LinkError.invalidData, `link message of ${head.size} bytes`);
    const body = await reader.read(head.size, deadline);
    const mess = decodeOrThrow(LinkMess, body);
    const {
      connection_id: connectionId,
      channel_type: channelType,
      channel_id: channelId,
      num_common_caps: numCommon,
      num_channel_caps: numChannel,
    } = mess;
    if (numCommon > maxCapWords || numChannel > maxCapWords)
      return refuse(LinkError.invalidData, `${numCommon}+${numChannel} capability words`);
    const caps =
      numCommon + numChannel > 0 && mess.caps_offset < linkMessBytes ? null : readCaps(body, mess.caps_offset, numCommon, numChannel);
    if (!caps) return refuse(LinkError.invalidData, `capabilities at ${mess.caps_offset} overrun the ${head.size}-byte message`);
    const { common: commonCaps, channel: channelCaps } = caps;
    if (!ctx.secure && ctx.secureChannels.has(channelType)) return refuse(LinkError.needSecured, `channel ${channelType} is TLS-only`);
    if (channelType !== ChannelType.main && !ctx.channelExists(channelType, channelId)) {
      // spice-server closes without a reply here.
      stream.destroy();
      reader.release();
      return { ok: false, error: 'noChannel', reason: `no channel ${channelType}:${channelId}` };
    }
    // Under SASL no ticket is taken, so no key is made: the reply's key is zeros, as spice-server
    // sends it to a SASL client.
    const key = ctx.sasl ? null : await ctx.keys.next();
    stream.write(
      encodeLinkReply(LinkError.ok, key?.publicDer ?? null, ctx.sasl ? saslCommonCaps : serverCommonCaps, ctx.channelCaps(channelType)),
    );
    const selects = hasCap(commonCaps, CommonCap.authSelection);
    const mechanism = selects ? (await reader.read(4, deadline)).readUInt32LE(0) : authMechanism.spice;
    const turn = async (): Promise<boolean> => {
      const wait = ctx.throttle.turn(ctx.address, Date.now());
      if (wait === null) return false;
      turnTaken = true;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return true;
    };
    let user: string | undefined;
    if (ctx.sasl) {
      if (!selects) return refuse(LinkError.versionMismatch, 'SASL is on and the client cannot select it (no AUTH_SELECTION)');
      if (mechanism !== authMechanism.sasl)
        return refuse(LinkError.invalidData, `auth mechanism ${mechanism} (only SASL is offered)`, true);
      const session = ctx.sasl();
      try {
        const verdict = await runSaslExchange({ reader, stream, session, deadline, turn });
        if (!verdict.ok) {
          reader.release();
          // A client that broke the protocol may keep its end open for good: closed once our last word is out.
          stream.end(verdict.denied ? undefined : () => stream.destroy());
          return {
            ok: false,
            error: verdict.denied ? 'permissionDenied' : 'sasl',
            reason: `${verdict.reason}${failedTurn()}`,
            ticketRefused: verdict.denied,
          };
        }
        user = verdict.username;
      } finally {
        session.dispose();
      }
    } else {
      if (mechanism !== authMechanism.spice) return refuse(LinkError.invalidData, `auth mechanism ${mechanism}`, true);
      const ticket = await reader.read(ticketBytes, deadline);
      if (!(await turn())) return refuse(LinkError.permissionDenied, `too many tickets from ${ctx.address} waiting for their turn`, true);
      const verdict = checkTicket(key!, ticket, ctx.policy(), ctx.now());
      if (verdict !== 'ok')
        return refuse(LinkError.permissionDenied, `${verdict === 'expired' ? 'password expired' : 'wrong ticket'}${failedTurn()}`, true);
    }
    ctx.throttle.succeeded(ctx.address, Date.now());
    turnTaken = false;
    let session: number;
    let replaced: number | null = null;
    if (channelType === ChannelType.main) {
      if (connectionId !== 0)
        return refuse(LinkError.badConnectionId, `main link with connection id ${connectionId} (migration is not supported)`, true);
      ({ session, replaced } = ctx.sessions.startMain());
    } else {
      if (!ctx.sessions.accepts(connectionId))
        return refuse(LinkError.badConnectionId, `connection id ${connectionId} is no live session`, true);
      session = connectionId;
    }
    stream.write(encodeLinkResult(LinkError.ok));
    const leftover = reader.release(!ctx.secure);
    return {
      ok: true,
      link: { session, channelType, channelId, commonCaps, channelCaps, secure: ctx.secure, peer: ctx.peer },
      leftover,
      replaced,
      ...(user !== undefined ? { user } : {}),
    };
  } catch (err) {
    reader.release();
    stream.destroy();
    if (err instanceof ReadError) return { ok: false, error: 'linkStage', reason: `link stage: ${err.message}${failedTurn()}` };
    throw err;
  }
}

/** The fixed parts were read whole, so a decode cannot fail; a failure would be a bug here. */
function decodeOrThrow<T>(codec: Codec<T>, bytes: Uint8Array): T {
  const r = decode(codec, bytes);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
