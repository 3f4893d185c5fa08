import type { TLSSocket } from 'node:tls';
import { saslSession, type SaslSession } from '../../native/index.js';

/**
 * A SASL session for a TLS connection: its addresses as cyrus-sasl takes them ("ip;port") and
 * the cipher's strength as the external SSF, as spice-server passes SSL_get_cipher_bits.
 */
export function saslSessionFor(socket: TLSSocket): SaslSession {
  const address = (ip: string | undefined, port: number | undefined) => (ip !== undefined && port !== undefined ? `${ip};${port}` : null);
  return saslSession(
    address(socket.localAddress, socket.localPort),
    address(socket.remoteAddress, socket.remotePort),
    cipherBits(socket.getCipher()?.name ?? ''),
  );
}

/** The secret bits of an OpenSSL cipher suite's bulk cipher, from its name (TLS 1.2 and 1.3 suites); 0 when not known. */
export function cipherBits(name: string): number {
  if (/CHACHA20|AES_?256/.test(name)) return 256;
  if (/AES_?128/.test(name)) return 128;
  return 0;
}

/**
 * Checked at start-up: libsasl2 initialises and offers a mechanism with the spice.conf it finds
 * (SASL_CONF_PATH's directories, else /etc/sasl2); what is wrong otherwise, in one line.
 */
export function saslProblem(): string | null {
  let session: SaslSession | undefined;
  try {
    session = saslSession(null, null, 0);
    session.mechanisms();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    session?.dispose();
  }
}
