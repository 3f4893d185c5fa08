import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away SASL configuration for the companion: a sasldb password database made with
 * Debian's saslpasswd2 (sasl2-bin) and a spice.conf checking against it; point SASL_CONF_PATH
 * at `dir`.
 */
export function makeSaslConfig(users: Readonly<Record<string, string>>, mechanisms = 'scram-sha-256 digest-md5 plain'): { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spice-sasl-'));
  const db = join(dir, 'passwords.db');
  for (const [user, password] of Object.entries(users)) {
    // -p: the password from stdin, no newline; -a spice: the application whose realm it is.
    execFileSync('saslpasswd2', ['-f', db, '-a', 'spice', '-p', '-c', user], { input: password, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  writeFileSync(join(dir, 'spice.conf'), `mech_list: ${mechanisms}\npwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: ${db}\n`);
  return { dir };
}
