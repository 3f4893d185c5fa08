import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { linkChannel, LinkRefused } from '../../client/link.js';
import { capWords, ChannelType, CommonCap, hasCap } from '../../codecs/protocol/enums.js';
import { authMechanism, encodeLinkMess, LinkError, LinkHeader, linkHeaderBytes, LinkReply, readCaps } from '../../codecs/protocol/link.js';
import { decode } from '../../codecs/protocol/wire.js';
import { ByteReader } from '../../runtime/byte-reader.js';
import { cliPath, startCli, type CliProcess } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { makeSaslConfig } from '../helpers/sasl-db.js';
import { SpiceProbe } from '../helpers/spice-probe.js';
import { makeTestCa } from '../helpers/test-ca.js';

// SASL (cyrus-sasl through the addon) in the link stage: one companion with --sasl for the
// file, a sasldb made here, spice-gtk as the judge and a TypeScript client for what spice-gtk
// would never send. Serial: the tests share the server and its per-address throttle.

const ca = makeTestCa();
const sasl = makeSaslConfig({ alice: 'wonder-land', bob: 'builder' });
let server: CliProcess;
let plainPort: number;
let tlsPort: number;

test.before(async () => {
  server = startCli(['--sasl', '--tls-port', '0', '--port', '0', '--x509-dir', ca.dir, '--demo', 'still'], {
    env: { SASL_CONF_PATH: sasl.dir },
  });
  const started = await server.lineWith('spice-companion started');
  plainPort = started.port as number;
  tlsPort = started.tlsPort as number;
});
test.after.always(() => server?.child.kill('SIGKILL'));

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** A main link over TLS that chose SASL, up to the server's mechanism list. */
async function saslStart(): Promise<{ socket: TLSSocket; read(n: number): Promise<Buffer>; mechanisms: string }> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: readFileSync(ca.caFile), servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  const reader = new ByteReader(socket);
  const deadline = Date.now() + 20_000;
  const read = (n: number) => reader.read(n, deadline);
  socket.write(
    encodeLinkMess({
      connectionId: 0,
      channelType: ChannelType.main,
      channelId: 0,
      commonCaps: capWords([CommonCap.authSelection, CommonCap.authSasl, CommonCap.miniHeader]),
      channelCaps: [],
    }),
  );
  const head = decode(LinkHeader, await read(linkHeaderBytes));
  if (!head.ok) throw new Error(head.error);
  const body = await read(head.value.size);
  const reply = decode(LinkReply, body);
  if (!reply.ok || reply.value.error !== LinkError.ok) throw new Error('link reply refused');
  const caps = readCaps(body, reply.value.caps_offset, reply.value.num_common_caps, reply.value.num_channel_caps)!;
  if (!hasCap(caps.common, CommonCap.authSasl) || hasCap(caps.common, CommonCap.authSpice))
    throw new Error(`common caps ${caps.common.join(',')}: SASL alone expected`);
  if (reply.value.pub_key.some((b) => b !== 0)) throw new Error('a ticket key under SASL');
  socket.write(u32(authMechanism.sasl));
  const listLength = (await read(4)).readUInt32LE(0);
  return { socket, read, mechanisms: (await read(listLength)).toString('latin1') };
}

/** PLAIN's one message: authorisation id (none), user, password, NUL-separated; the wire adds a NUL. */
const plain = (user: string, password: string): Buffer => {
  const data = Buffer.from(`\0${user}\0${password}\0`, 'utf8');
  return Buffer.concat([u32(5), Buffer.from('PLAIN'), u32(data.length), data]);
};

const closed = (socket: TLSSocket): Promise<void> =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));

/** The server's 'link refused' log line whose reason matches. */
async function refusal(reason: RegExp): Promise<void> {
  await eventually(
    `a 'link refused' line matching ${reason}`,
    () => server.lines.some((l) => l.msg === 'link refused' && reason.test(String(l.reason))),
    10_000,
  );
}

test.serial(
  'spice-gtk links every channel over TLS with SASL as a known user, and is refused with a wrong password or an unknown user',
  async (t) => {
    const args = ['--tls-port', String(tlsPort), '--ca-file', ca.caFile, '--host-subject', ca.subject];
    const right = new SpiceProbe([...args, '--username', 'alice', '--password', 'wonder-land']);
    t.teardown(() => right.kill());
    for (const ch of ['main:0', 'inputs:0', 'cursor:0', 'display:0']) {
      await right.waitFor(
        (e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && `${e.channel}:${e.id}` === ch,
        `${ch} opened`,
        45_000,
      );
    }
    t.is(await right.quit(), 0);
    t.true(
      server.lines.some((l) => l.msg === 'linked' && l.channel === 'main' && l.user === 'alice'),
      'the log names the user',
    );
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', 'wonder-land'],
    ] as const) {
      const p = new SpiceProbe([...args, '--username', user, '--password', password]);
      t.teardown(() => p.kill());
      t.is(await p.exited, 6, `${user}/${password}: SPICE_CHANNEL_ERROR_AUTH on the main channel`);
      t.deepEqual(p.opened(), []);
    }
    await refusal(/^SASL SCRAM-SHA-256: .*authentication failure.* \(\d+ in a row from 127\.0\.0\.1\)$/);
  },
);

test.serial('spice-gtk links with DIGEST-MD5 too, when spice.conf offers only it', async (t) => {
  const digest = makeSaslConfig({ alice: 'wonder-land' }, 'digest-md5');
  const other = startCli(['--sasl', '--tls-port', '0', '--x509-dir', ca.dir, '--demo', 'off'], { env: { SASL_CONF_PATH: digest.dir } });
  t.teardown(() => other.child.kill('SIGKILL'));
  const port = (await other.lineWith('spice-companion started')).tlsPort as number;
  const p = new SpiceProbe([
    '--tls-port',
    String(port),
    '--ca-file',
    ca.caFile,
    '--host-subject',
    ca.subject,
    '--username',
    'alice',
    '--password',
    'wonder-land',
  ]);
  t.teardown(() => p.kill());
  await p.waitFor((e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && e.channel === 'main', 'main opened', 45_000);
  t.is(await p.quit(), 0);
  t.true(other.lines.some((l) => l.msg === 'linked' && l.user === 'alice'));
});

test.serial(
  'the exchange from a TypeScript client: mechanisms offered comma-wrapped, PLAIN with the right password linked, a wrong one answered done then PERMISSION_DENIED',
  async (t) => {
    const good = await saslStart();
    t.is(good.mechanisms, ',SCRAM-SHA-256,DIGEST-MD5,PLAIN,');
    good.socket.write(plain('bob', 'builder'));
    t.deepEqual([...(await good.read(5))], [0, 0, 0, 0, 1], 'no data, done');
    t.is((await good.read(4)).readUInt32LE(0), LinkError.ok, 'auth result');
    t.is((await good.read(4)).readUInt32LE(0), LinkError.ok, 'link result');
    good.socket.destroy();

    const bad = await saslStart();
    bad.socket.write(plain('bob', 'wrecker'));
    t.deepEqual([...(await bad.read(5))], [0, 0, 0, 0, 1]);
    t.is((await bad.read(4)).readUInt32LE(0), LinkError.permissionDenied);
    await closed(bad.socket);
    await refusal(/^SASL PLAIN: .*authentication failure/);
  },
);

test.serial('the plain port offers no SASL: every channel is refused there with NEED_SECURED', async (t) => {
  for (const channelType of [ChannelType.main, ChannelType.inputs]) {
    const err = await t.throwsAsync(linkChannel({ host: '127.0.0.1', port: plainPort }, { channelType, channelId: 0, connectionId: 0 }), {
      instanceOf: LinkRefused,
    });
    t.is(err?.code, LinkError.needSecured);
  }
});

test.serial(
  'hostile lengths or names in the SASL exchange close that connection at once with a log line, and the server keeps serving',
  async (t) => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a mechanism name of 0 bytes', u32(0), /^SASL: mechanism name of 0 bytes$/],
      ['a mechanism name of 4 GiB', u32(0xffffffff), /^SASL: mechanism name of 4294967295 bytes$/],
      ['a mechanism name of 101 bytes', Buffer.concat([u32(101), Buffer.alloc(101, 0x41)]), /^SASL: mechanism name of 101 bytes$/],
      ['a mechanism not offered', Buffer.concat([u32(8), Buffer.from('EXTERNAL')]), /^SASL: mechanism "EXTERNAL" is not on offer/],
      ['a list as the mechanism', Buffer.concat([u32(11), Buffer.from('PLAIN,LOGIN')]), /^SASL: mechanism "PLAIN,LOGIN" is not on offer/],
      ['client data of 4 GiB', Buffer.concat([u32(5), Buffer.from('PLAIN'), u32(0xffffffff)]), /^SASL: 4294967295 bytes of client data/],
      ['client data of 64 KiB + 1', Buffer.concat([u32(5), Buffer.from('PLAIN'), u32(65537)]), /^SASL: 65537 bytes of client data/],
    ];
    for (const [what, bytes, reason] of cases) {
      const started = Date.now();
      const c = await saslStart();
      c.socket.write(bytes);
      // A name not on offer is answered INVALID_DATA, as spice-server does; bad lengths get nothing.
      if (/not on offer/.test(reason.source)) t.is((await c.read(4)).readUInt32LE(0), LinkError.invalidData, what);
      await closed(c.socket);
      t.true(Date.now() - started < 5_000, `${what}: closed at once, not at the link deadline`);
      await refusal(reason);
    }
    // A step that never comes: SCRAM-SHA-256 started, then garbage as the step's length.
    const scram = await saslStart();
    const first = Buffer.from('n,,n=alice,r=abcdefghijklmnop\0');
    scram.socket.write(Buffer.concat([u32(13), Buffer.from('SCRAM-SHA-256'), u32(first.length), first]));
    const challenge = (await scram.read(4)).readUInt32LE(0);
    await scram.read(challenge + 1);
    scram.socket.write(u32(0x80000000));
    await closed(scram.socket);
    await refusal(/^SASL: 2147483648 bytes of client data/);

    const after = await saslStart();
    after.socket.write(plain('alice', 'wonder-land'));
    await after.read(5);
    t.is((await after.read(4)).readUInt32LE(0), LinkError.ok, 'a good client links after them');
    after.socket.destroy();
  },
);

test('--sasl needs a tls-port; a spice.conf that offers no mechanism stops start-up with one line', (t) => {
  const noTls = spawnSync(process.execPath, [cliPath, '--sasl', '--port', '0'], { encoding: 'utf8' });
  t.is(noTls.status, 2);
  t.regex(noTls.stderr, /sasl: SASL is offered over TLS only; give tls-port/);
  const none = makeSaslConfig({}, 'no-such-mechanism');
  const r = spawnSync(
    process.execPath,
    [cliPath, '--sasl', '--tls-port', '0', '--x509-dir', ca.dir, '--demo', 'off', '--log-level', 'silent'],
    {
      encoding: 'utf8',
      env: { ...process.env, SASL_CONF_PATH: none.dir },
      timeout: 20_000,
    },
  );
  t.is(r.status, 1);
  t.regex(
    r.stderr.trimEnd(),
    /^spice-companion: sasl: sasl_listmech: .*no mechanism available.* \(spice\.conf from \/tmp\/spice-sasl-\w+\)$/,
  );
});
