import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away CA and a server certificate for 127.0.0.1 / localhost, laid out like QEMU's
 * x509-dir (ca-cert.pem, server-cert.pem, server-key.pem), made with Debian's openssl.
 */
export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  /** The server certificate's subject, as spice-gtk's host-subject wants it. */
  readonly subject: string;
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'spice-ca-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=spice-companion test CA',
    '-keyout',
    f('ca-key.pem'),
    '-out',
    f('ca-cert.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/O=spice-companion/CN=127.0.0.1',
    '-keyout',
    f('server-key.pem'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca-cert.pem'),
    '-CAkey',
    f('ca-key.pem'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server-cert.pem'),
  );
  return { dir, caFile: f('ca-cert.pem'), subject: 'O=spice-companion,CN=127.0.0.1' };
}
