import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { SecureContext, TLSSocket } from 'node:tls';

/** node:tls, loaded only for a TLS port: about 15 ms of this thread's start otherwise. */
type Tls = typeof import('node:tls');
import type { Config } from '../../config/settings.js';
import { setNotSentLowat } from '../../native/index.js';
import { StartError } from '../../runtime/start-error.js';

export interface Listening {
  readonly plain: Server | null;
  readonly tls: Server | null;
  readonly port: number | null;
  readonly tlsPort: number | null;
}

const listenProblems: Record<string, string> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this host',
  ENOTFOUND: 'the address does not resolve',
  EAI_AGAIN: 'the address does not resolve',
};

const tlsProblems: Record<string, string> = {
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'server-key.pem is not the key of server-cert.pem',
  ERR_OSSL_PEM_NO_START_LINE: 'a file is not PEM',
  ERR_OSSL_UNSUPPORTED: 'a file is not a key or certificate this OpenSSL reads',
};

const codeOf = (err: unknown): string => String((err as { code?: unknown }).code ?? '');

/** Listens on a TCP port of `addr`, or (port null) on the unix socket at `addr`. */
function listen(server: Server, port: number | null, addr: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const where = port === null ? `unix socket ${addr}` : `${addr} port ${port}`;
    server.once('error', (err) => reject(new StartError(`cannot listen on ${where}: ${listenProblems[codeOf(err)] ?? err.message}`)));
    const listening = () => {
      server.removeAllListeners('error');
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    };
    if (port !== null) server.listen(port, addr, listening);
    else server.listen(addr, listening);
  });
}

/** A socket file left by an earlier run is removed, as spice-server does; anything else at the path is left for listen to refuse. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}

/**
 * Unsent bytes a connection's kernel send buffer may hold (TCP_NOTSENT_LOWAT): 64 KiB is 50 ms at
 * 10 Mbit/s. The kernel would otherwise autotune it up to megabytes, and a display flooding a
 * slow link queued seconds of frames there (bench:e2e, video on the shaped link: p50 1.6 s);
 * held back in user space instead, overdrawn frames are dropped by the red-worker's pipe.
 */
export const NOTSENT_LOWAT = 64 * 1024;

/** The fd under a net.Socket (node has no public accessor). */
export const socketFd = (socket: Socket): number => (socket as unknown as { _handle: { fd: number } })._handle.fd;

/**
 * The plain and TLS listeners of QEMU's -spice `port` and `tls-port`. TLS is from the first
 * byte (no STARTTLS), certificates from an x509 directory laid out like QEMU's.
 */
export async function openListeners(
  config: Config,
  onConnection: (socket: Socket | TLSSocket, secure: boolean) => void,
): Promise<Listening> {
  // allowHalfOpen: a client's FIN must not end our side before we are done (facts §3).
  const wantPlain = config.port !== undefined || config.unix;
  const plain = wantPlain ? createServer({ allowHalfOpen: true, noDelay: true }, (s) => onConnection(s, false)) : null;
  let tls: Server | null = null;
  const tlsPortWanted = config['tls-port'];
  if (tlsPortWanted !== undefined) {
    const tlsModule = await import('node:tls');
    const context = tlsContext(tlsModule, config);
    tls = createServer({ allowHalfOpen: true, noDelay: true }, (raw) => acceptTls(tlsModule, raw, context, (s) => onConnection(s, true)));
  }
  // The raw TCP connection, before TLS wraps it: the option stays with the socket wherever it goes.
  for (const server of config.unix ? [tls] : [plain, tls])
    server?.on('connection', (raw: Socket) => setNotSentLowat(socketFd(raw), NOTSENT_LOWAT));
  if (config.unix) removeStaleSocket(config.addr);
  const port = plain ? await listen(plain, config.unix ? null : config.port!, config.addr) : null;
  const tlsPort = tls && tlsPortWanted !== undefined ? await listen(tls, tlsPortWanted, config.addr) : null;
  return { plain, tls, port, tlsPort };
}

/**
 * The TLS context: each file from its own key (x509-key-file, ...) or from x509-dir laid out like
 * QEMU's; what is wrong with it, in one line.
 */
function tlsContext(tls: Tls, config: Config): SecureContext {
  const dir = config['x509-dir'];
  const read = (key: 'x509-key-file' | 'x509-cert-file' | 'x509-cacert-file' | 'x509-dh-key-file', inDir?: string) => {
    const path = config[key] ?? (inDir !== undefined && dir !== undefined ? join(dir, inDir) : undefined);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new StartError(
        `${config[key] !== undefined ? key : 'x509-dir'}: cannot read ${path}: ${(err as Error).message.replace(/^\w+: /, '').replace(/, open .*/, '')}`,
      );
    }
  };
  const files = {
    key: read('x509-key-file', 'server-key.pem'),
    cert: read('x509-cert-file', 'server-cert.pem'),
    ca: read('x509-cacert-file', 'ca-cert.pem'),
  };
  const dhparam = read('x509-dh-key-file');
  try {
    return tls.createSecureContext({
      ...files,
      ...(dhparam ? { dhparam } : {}),
      ...(config['x509-key-password'] !== undefined ? { passphrase: config['x509-key-password'] } : {}),
      ...(config['tls-ciphers'] ? { ciphers: config['tls-ciphers'] } : {}),
    });
  } catch (err) {
    throw new StartError(`${dir !== undefined ? `x509-dir: ${dir}` : 'x509 files'}: ${tlsProblems[codeOf(err)] ?? (err as Error).message}`);
  }
}

/** How long a TLS handshake may take before the connection is dropped. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * TLS on an accepted connection, wrapped here rather than by tls.Server: half-open connections
 * (which the hand-off needs) that end or fail before the handshake completes are closed at once
 * (tls.Server left them in CLOSE-WAIT for good, an fd each).
 */
function acceptTls(tls: Tls, raw: Socket, context: SecureContext, secured: (socket: TLSSocket) => void): void {
  const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
  const drop = () => socket.destroy();
  const timer = setTimeout(drop, HANDSHAKE_TIMEOUT_MS);
  socket.once('end', drop);
  socket.once('error', drop);
  socket.once('secure', () => {
    clearTimeout(timer);
    socket.off('end', drop);
    socket.off('error', drop);
    secured(socket);
  });
}
