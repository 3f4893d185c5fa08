import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { SpiceClient } from '../../client/session.js';
import { startCli } from '../helpers/cli.js';
import { makeTestCa } from '../helpers/test-ca.js';

/** A TCP connection that sends `bytes` (maybe none) and its FIN, then waits for the server's close (or gives up). */
function halfClose(port: number, bytes: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1', () => s.end(bytes));
    s.on('error', () => {});
    s.resume();
    const timer = setTimeout(() => (s.destroy(), resolve(false)), 2_000);
    s.on('close', () => (clearTimeout(timer), resolve(true)));
  });
}

// Half of a TLS ClientHello record header and body start.
const partialHello = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00]);

test('connections half-closed before the TLS handshake are closed, under a low fd limit, and clients still link on both ports', async (t) => {
  const ca = makeTestCa();
  const server = startCli(['--port', '0', '--tls-port', '0', '--x509-dir', ca.dir, '--disable-ticketing', '--demo', 'off'], {
    maxFds: 256,
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  const started = await server.lineWith('spice-companion started');
  const tlsPort = started.tlsPort as number;
  const plainPort = started.port as number;
  let closedByServer = 0;
  const total = 2_000;
  for (let i = 0; i < total; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: 50 }, (_, j) => halfClose(j % 3 === 2 ? plainPort : tlsPort, j % 3 === 1 ? partialHello : new Uint8Array(0))),
    );
    closedByServer += batch.filter(Boolean).length;
  }
  t.is(closedByServer, total, 'the server closed every half-closed connection');
  const fds = readdirSync(`/proc/${server.child.pid}/fd`).length;
  t.log(`${total} half-closed connections under ulimit -n 256: the server holds ${fds} fds afterwards`);
  t.true(fds < 128);
  const tls = await SpiceClient.connect({ host: '127.0.0.1', port: tlsPort, tls: { ca: readFileSync(ca.caFile) } });
  t.truthy(tls.inputs, 'a TLS client links all its channels');
  tls.close();
  const plain = await SpiceClient.connect({ host: '127.0.0.1', port: plainPort });
  t.truthy(plain.inputs);
  plain.close();
});
