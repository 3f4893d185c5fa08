import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Config } from '../../config/settings.js';

export interface Listening {
  readonly plain: Server | null;
  readonly tls: Server | null;
  readonly port: number | null;
  readonly tlsPort: number | null;
}

function listen(server: Server, port: number, addr: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, addr, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/**
 * The plain and TLS listeners of QEMU's -spice `port` and `tls-port`. TLS is from the first
 * byte (no STARTTLS), certificates from an x509 directory laid out like QEMU's.
 */
export async function openListeners(config: Config, onConnection: (socket: Socket | TLSSocket, secure: boolean) => void): Promise<Listening> {
  // allowHalfOpen: a client's FIN must not end our side before we are done (facts §3).
  const plain = createServer({ allowHalfOpen: true, noDelay: true }, (s) => onConnection(s, false));
  let tls: Server | null = null;
  const tlsPortWanted = config['tls-port'];
  if (tlsPortWanted !== undefined) {
    const dir = config['x509-dir']!;
    tls = createTlsServer(
      {
        key: readFileSync(join(dir, 'server-key.pem')),
        cert: readFileSync(join(dir, 'server-cert.pem')),
        ca: readFileSync(join(dir, 'ca-cert.pem')),
        ...(config['tls-ciphers'] ? { ciphers: config['tls-ciphers'] } : {}),
        allowHalfOpen: true,
        noDelay: true,
      },
      (s) => onConnection(s, true),
    );
  }
  const port = await listen(plain, config.port, config.addr);
  const tlsPort = tls && tlsPortWanted !== undefined ? await listen(tls, tlsPortWanted, config.addr) : null;
  return { plain, tls, port, tlsPort };
}
