import test from 'ava';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkError } from '../../codecs/protocol/link.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';
import { makeTestCa } from '../helpers/test-ca.js';
import { refusal } from '../helpers/refusal.js';

test('unix=on serves clients on the socket at addr, replacing a stale socket file', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'spice-unix-')), 'spice.sock');
  // A socket file left by an earlier run (python exits without unlinking it).
  execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path)})`]);
  const s = await startTestServer(['--unix', '--addr', path, '--disable-ticketing']);
  t.teardown(() => s.stop());
  t.is(s.companion.port, null, 'no TCP port');
  t.true(lstatSync(path).isSocket());
  const client = await SpiceClient.connect({ host: '', port: 0, path });
  t.truthy(client.inputs, 'a client links every channel through the socket');
  client.close();
});

test('TLS only: no plain port is opened; the x509 files may be given one by one, the key encrypted', async (t) => {
  const ca = makeTestCa();
  const key = join(ca.dir, 'server-key.enc.pem');
  execFileSync('openssl', ['pkey', '-in', join(ca.dir, 'server-key.pem'), '-aes256', '-passout', 'pass:k3y', '-out', key]);
  const s = await startTestServer(
    [
      '--tls-port',
      '0',
      '--x509-key-file',
      key,
      '--x509-key-password',
      'k3y',
      '--x509-cert-file',
      join(ca.dir, 'server-cert.pem'),
      '--x509-cacert-file',
      ca.caFile,
      '--disable-ticketing',
    ],
    undefined,
    { plainPort: false },
  );
  t.teardown(() => s.stop());
  t.is(s.companion.port, null, 'no plain port');
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.tlsPort!, tls: { ca: readFileSync(ca.caFile) } });
  t.truthy(client.inputs);
  client.close();
});

test('password-file: the password is read from the file, its trailing newline ignored', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'spice-pw-')), 'password');
  writeFileSync(file, 'from-a-file\n', { mode: 0o600 });
  const s = await startTestServer(['--password-file', file]);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  t.is(await refusal(SpiceClient.connect({ ...ep, password: 'from-a-file\n' })), LinkError.permissionDenied);
  const client = await SpiceClient.connect({ ...ep, password: 'from-a-file' });
  t.truthy(client.inputs);
  client.close();
});
