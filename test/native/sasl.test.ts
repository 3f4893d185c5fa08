import test from 'ava';
import { saslSession } from '../../native/index.js';
import { makeSaslConfig } from '../helpers/sasl-db.js';

// The addon's SASL session (native/src/sasl.cc) on bad input: clean JS errors, nothing read or
// written past a bound. libsasl2 reads SASL_CONF_PATH at the first session, once per process:
// set here, before any (each ava test file is a process of its own).
process.env.SASL_CONF_PATH = makeSaslConfig({ carol: 'c0rrect' }, 'plain').dir;

test('a session offers what spice.conf lists, and PLAIN checks against the sasldb', (t) => {
  const s = saslSession('127.0.0.1;5901', '127.0.0.1;40000', 256);
  t.is(s.mechanisms(), ',PLAIN,');
  t.deepEqual(s.start('PLAIN', Buffer.from('\0carol\0c0rrect')), { done: true, out: null });
  t.is(s.username(), 'carol');
  t.is(s.ssf(), 0, 'no security layer');
  s.dispose();
  const wrong = saslSession(null, null, 0);
  t.throws(() => wrong.start('PLAIN', Buffer.from('\0carol\0wrong')), { message: /^sasl_server_start: .*authentication failure/ });
  wrong.dispose();
});

test('bad arguments are refused with a JS error, and a disposed session throws', (t) => {
  const s = saslSession(null, null, 0);
  t.throws(() => s.start('', null), { instanceOf: RangeError });
  t.throws(() => s.start('X'.repeat(101), null), { instanceOf: RangeError });
  t.throws(() => s.start('PLA\0IN', null), { instanceOf: RangeError });
  t.throws(() => s.start('PLAIN', new Uint8Array(64 * 1024 + 1)), { instanceOf: RangeError });
  t.throws(() => s.step(new Uint16Array(4) as unknown as Uint8Array), { instanceOf: TypeError });
  t.throws(() => s.start('NOPE', null), { message: /^sasl_server_start: / });
  s.dispose();
  t.throws(() => s.mechanisms(), { message: 'SaslServer: disposed' });
  s.dispose();
  t.throws(() => saslSession('x'.repeat(200), null, 0), { instanceOf: RangeError });
  t.throws(() => saslSession(null, null, -1), { instanceOf: RangeError });
  t.throws(() => saslSession(5 as unknown as string, null, 0), { instanceOf: TypeError });
});
