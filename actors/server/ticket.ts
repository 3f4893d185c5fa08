import { constants, generateKeyPair, privateDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { maxPasswordLength } from '../../codecs/protocol/link.js';
import { StartError } from '../../runtime/start-error.js';

const generate = promisify(generateKeyPair);

/** The password in `path` (one trailing newline ignored, as a file written by echo has), checked as the password key is. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StartError(`password-file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password.length === 0) throw new StartError(`password-file: ${path} is empty`);
  if (Buffer.byteLength(password) > maxPasswordLength)
    throw new StartError(`password-file: the password in ${path} is longer than ${maxPasswordLength} bytes`);
  return password;
}

export interface LinkKey {
  /** DER SubjectPublicKeyInfo, exactly 162 bytes for RSA-1024, as SpiceLinkReply carries it. */
  readonly publicDer: Uint8Array;
  readonly privateKey: KeyObject;
}

/**
 * A fresh RSA-1024 key per link, as spice-server makes one. Generating takes a few ms of
 * libuv's thread pool; one key is kept ready so that the burst of channel links a client
 * opens at once does not wait for it. Each key is handed out once.
 */
export class LinkKeys {
  private ready: Promise<LinkKey> | null = null;

  next(): Promise<LinkKey> {
    const key = this.ready ?? LinkKeys.make();
    this.ready = LinkKeys.make();
    // A failed spare is reported when it is taken, not as an unhandled rejection now.
    this.ready.catch(() => {});
    return key;
  }

  private static async make(): Promise<LinkKey> {
    const { publicKey, privateKey } = await generate('rsa', { modulusLength: 1024, publicExponent: 65537 });
    return { publicDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), privateKey };
  }
}

export type TicketVerdict = 'ok' | 'denied' | 'expired';

export interface TicketPolicy {
  /** Unset with ticketing on: every client is refused, as spice-server does. */
  password?: string;
  /** Monotonic ms after which the password is refused. */
  expiresAt?: number;
  ticketing: boolean;
}

/**
 * Checks a 128-byte RSA-OAEP(SHA-1) ticket. The plaintext is the password and its NUL. A ticket
 * that does not decrypt is refused even with ticketing disabled, like spice-server.
 */
export function checkTicket(key: LinkKey, ticket: Uint8Array, policy: TicketPolicy, now: number): TicketVerdict {
  let plain: Buffer;
  try {
    plain = privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);
  } catch {
    return 'denied';
  }
  if (!policy.ticketing) return 'ok';
  if (policy.password === undefined || policy.password === '') return 'denied';
  if (policy.expiresAt !== undefined && now > policy.expiresAt) return 'expired';
  const nul = plain.indexOf(0);
  const given = nul < 0 ? plain : plain.subarray(0, nul);
  const expected = Buffer.from(policy.password, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'denied';
}
