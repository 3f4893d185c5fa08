import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { capWords, CommonCap, hasCap } from '../codecs/protocol/enums.js';
import { ByteReader, ReadError } from '../runtime/byte-reader.js';
import {
  authMechanism,
  encodeLinkMess,
  LinkError,
  LinkHeader,
  linkHeaderBytes,
  linkErrorName,
  LinkReply,
  linkReplyBytes,
  readCaps,
} from '../codecs/protocol/link.js';
import { decode } from '../codecs/protocol/wire.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** TLS with this CA (PEM); absent: plain TCP. */
  readonly tls?: { readonly ca: string | Buffer; readonly servername?: string };
  readonly password?: string;
  /** The local address to connect from (e.g. another 127/8 address). */
  readonly localAddress?: string;
  /** A unix socket to connect to instead of host:port (a server with unix=on). */
  readonly path?: string;
}

export interface LinkRequest {
  readonly channelType: number;
  readonly channelId: number;
  readonly connectionId: number;
  readonly channelCaps?: readonly number[];
  /** Defaults to AUTH_SELECTION and MINI_HEADER, as spice-gtk sends (without SASL). */
  readonly commonCaps?: readonly number[];
}

export interface Linked {
  readonly socket: Socket | TLSSocket;
  readonly serverCommonCaps: readonly number[];
  readonly serverChannelCaps: readonly number[];
  readonly commonCaps: readonly number[];
  /** Bytes that arrived after the link result. */
  readonly leftover: Buffer;
}

/** A link the server refused: `code` is the SpiceLinkErr it sent, or null when it just closed. */
export class LinkRefused extends Error {
  constructor(
    readonly code: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'LinkRefused';
  }
}

/** How long the whole link stage may take. */
const linkTimeoutMs = 30_000;

export const defaultCommonCaps = capWords([CommonCap.authSelection, CommonCap.miniHeader]);

function open(ep: Endpoint): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const from = ep.localAddress !== undefined ? { localAddress: ep.localAddress } : {};
    const s = ep.tls
      ? tlsConnect({ host: ep.host, port: ep.port, ...from, ca: ep.tls.ca, servername: ep.tls.servername ?? ep.host }, () => resolve(s))
      : ep.path !== undefined
        ? tcpConnect({ path: ep.path }, () => resolve(s))
        : tcpConnect({ host: ep.host, port: ep.port, ...from, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Links one channel: link message, the server's reply, the ticket (RSA-OAEP SHA-1 of the password and its NUL), the result. */
export async function linkChannel(ep: Endpoint, req: LinkRequest): Promise<Linked> {
  const socket = await open(ep);
  const reader = new ByteReader(socket);
  const deadline = Date.now() + linkTimeoutMs;
  const read = (n: number) => reader.read(n, deadline);
  try {
    const commonCaps = req.commonCaps ?? defaultCommonCaps;
    socket.write(
      encodeLinkMess({
        connectionId: req.connectionId,
        channelType: req.channelType,
        channelId: req.channelId,
        commonCaps,
        channelCaps: req.channelCaps ?? [],
      }),
    );
    const head = decode(LinkHeader, await read(linkHeaderBytes));
    if (!head.ok) throw new LinkRefused(null, head.error);
    if (head.value.size < linkReplyBytes || head.value.size > 4096) throw new LinkRefused(null, `link reply of ${head.value.size} bytes`);
    const body = await read(head.value.size);
    const reply = decode(LinkReply, body);
    if (!reply.ok) throw new LinkRefused(null, reply.error);
    const r = reply.value;
    if (r.error !== LinkError.ok) throw new LinkRefused(r.error, `link refused: ${linkErrorName(r.error)}`);
    const caps = readCaps(body, r.caps_offset, r.num_common_caps, r.num_channel_caps);
    if (!caps) throw new LinkRefused(null, 'server caps overrun its reply');
    if (hasCap(commonCaps, CommonCap.authSelection)) {
      const mech = Buffer.alloc(4);
      mech.writeUInt32LE(authMechanism.spice);
      socket.write(mech);
    }
    const key = createPublicKey({ key: Buffer.from(r.pub_key), format: 'der', type: 'spki' });
    const plain = Buffer.from((ep.password ?? '') + '\0', 'utf8');
    socket.write(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain));
    const result = (await read(4)).readUInt32LE(0);
    if (result !== LinkError.ok) throw new LinkRefused(result, `link refused: ${linkErrorName(result)}`);
    return { socket, serverCommonCaps: caps.common, serverChannelCaps: caps.channel, commonCaps, leftover: reader.release() };
  } catch (err) {
    reader.release();
    socket.destroy();
    if (err instanceof ReadError) throw new LinkRefused(null, `link stage: ${err.message}`);
    throw err;
  }
}
