import test from 'ava';
import { parseAddress } from '../../../codecs/dbus/address.js';

test('unix addresses: path, abstract, %-escapes, extra keys, several entries in order, other transports skipped', (t) => {
  t.deepEqual(parseAddress('unix:path=/tmp/bus'), { ok: true, value: [{ socketPath: '/tmp/bus' }] });
  t.deepEqual(parseAddress('unix:path=/run/user/0/bus,guid=0123456789abcdef0123456789abcdef'), {
    ok: true,
    value: [{ socketPath: '/run/user/0/bus' }],
  });
  t.deepEqual(parseAddress('unix:abstract=/tmp/dbus-XYZ'), { ok: true, value: [{ socketPath: '\0/tmp/dbus-XYZ' }] });
  t.deepEqual(parseAddress('unix:path=/tmp/with%20space%2cand%3bpunct'), {
    ok: true,
    value: [{ socketPath: '/tmp/with space,and;punct' }],
  });
  t.deepEqual(parseAddress('tcp:host=localhost,port=1;unix:path=/a;unix:path=/b'), {
    ok: true,
    value: [{ socketPath: '/a' }, { socketPath: '/b' }],
  });
});

test('bad addresses are errors', (t) => {
  t.false(parseAddress('').ok);
  t.false(parseAddress('nocolon').ok);
  t.false(parseAddress('tcp:host=localhost,port=1').ok);
  t.false(parseAddress('unix:path=/a b').ok, 'a space must be escaped');
  t.false(parseAddress('unix:path=%zz').ok);
  t.false(parseAddress('unix:path').ok);
  t.false(parseAddress('unix:tmpdir=/tmp').ok, 'listening addresses name no socket to connect to');
});
