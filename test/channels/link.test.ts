import test from 'ava';
import { readFileSync } from 'node:fs';
import { ChannelType, CommonCap, capWords } from '../../codecs/protocol/enums.js';
import { LinkError } from '../../codecs/protocol/link.js';
import { inputsProtocol } from '../../codecs/protocol/channels/inputs.js';
import { linkChannel } from '../../client/link.js';
import { ClientChannel } from '../../client/channel.js';
import { SpiceClient, first, next } from '../../client/session.js';
import { makeTestCa } from '../helpers/test-ca.js';
import { startTestServer } from '../helpers/server.js';
import { refusal } from '../helpers/refusal.js';

test('the right password links, a wrong one is refused with PERMISSION_DENIED', async (t) => {
  const s = await startTestServer(['--password', 'sesame']);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  const client = await SpiceClient.connect({ ...ep, password: 'sesame' });
  t.not(client.init.session_id, 0, 'INIT carries a non-zero session id');
  t.truthy(client.inputs && client.cursor, 'inputs and cursor linked with the session id');
  client.close();
  t.is(await refusal(SpiceClient.connect({ ...ep, password: 'open' })), LinkError.permissionDenied);
  t.is(await refusal(SpiceClient.connect(ep)), LinkError.permissionDenied, 'no password at all');
});

test('an expired password is refused; disable-ticketing lets anyone in', async (t) => {
  const expiring = await startTestServer(['--password', 'x', '--password-expiry', '0']);
  t.teardown(() => expiring.stop());
  await new Promise((r) => setTimeout(r, 20));
  t.is(await refusal(SpiceClient.connect({ host: '127.0.0.1', port: expiring.port, password: 'x' })), LinkError.permissionDenied);
  const open = await startTestServer(['--disable-ticketing']);
  t.teardown(() => open.stop());
  const c = await SpiceClient.connect({ host: '127.0.0.1', port: open.port, password: 'anything' });
  t.truthy(c.inputs);
  c.close();
});

test('set-password changes the ticket at run time, like QEMU set_password', async (t) => {
  const s = await startTestServer(['--password', 'old']);
  t.teardown(() => s.stop());
  const server = s.companion.supervisor as unknown as { actors: Map<string, { link: { ask(m: unknown): Promise<unknown> } }> };
  await server.actors.get('server')!.link.ask({ kind: 'set-password', password: 'new', connected: 'keep' });
  const ep = { host: '127.0.0.1', port: s.port };
  t.is(await refusal(SpiceClient.connect({ ...ep, password: 'old' })), LinkError.permissionDenied);
  const linked = await SpiceClient.connect({ ...ep, password: 'new' });
  t.truthy(linked.inputs, 'the new password links every channel');
  linked.close();
});

test('TLS links with the test CA; secure-channels refuses those channels on plain TCP', async (t) => {
  const ca = makeTestCa();
  const s = await startTestServer(['--disable-ticketing', '--tls-port', '0', '--x509-dir', ca.dir, '--secure-channels', 'inputs']);
  t.teardown(() => s.stop());
  const tls = { ca: readFileSync(ca.caFile) };
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.tlsPort!, tls });
  t.truthy(client.inputs, 'inputs linked over TLS');
  // INIT first: the inputs actor has taken the relayed connection (until then a change goes into INIT).
  await first(client.inputs!, 'init');
  const mods = next(client.inputs!, 'key_modifiers');
  void s.host.link.send({ kind: 'leds', modifiers: 4 });
  t.is((await mods).modifiers, 4, 'messages flow over the relayed TLS connection');
  // The same session, inputs over plain TCP: NEED_SECURED.
  const plain = { host: '127.0.0.1', port: s.port };
  t.is(
    await refusal(linkChannel(plain, { channelType: ChannelType.inputs, channelId: 0, connectionId: client.init.session_id })),
    LinkError.needSecured,
  );
  client.close();
});

test('a channel of another session is refused with BAD_CONNECTION_ID; a garbage magic gets INVALID_MAGIC', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  const client = await SpiceClient.connect(ep);
  t.is(
    await refusal(linkChannel(ep, { channelType: ChannelType.inputs, channelId: 0, connectionId: (client.init.session_id + 1) >>> 0 })),
    LinkError.badConnectionId,
  );
  client.close();
});

test('mini and full data headers: the server follows the client caps', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  const client = await SpiceClient.connect(ep);
  t.is(client.main.header, 'mini');
  for (const commonCaps of [capWords([CommonCap.authSelection]), capWords([CommonCap.authSelection, CommonCap.miniHeader])]) {
    const linked = await linkChannel(ep, {
      channelType: ChannelType.inputs,
      channelId: 0,
      connectionId: client.init.session_id,
      commonCaps,
    });
    const ch = new ClientChannel(linked, inputsProtocol);
    t.is(ch.header, commonCaps[0]! & (1 << CommonCap.miniHeader) ? 'mini' : 'full');
    const init = await first(ch, 'init');
    t.is(init.keyboard_modifiers, 0, `INIT decodes with the ${ch.header} header`);
    ch.close();
  }
  client.close();
});

test('a new main connection replaces the connected client', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  const first = await SpiceClient.connect(ep);
  const closed = Promise.all([first.main, first.inputs!, first.cursor!].map((ch) => new Promise((r) => ch.socket.once('close', r))));
  const second = await SpiceClient.connect(ep);
  await closed;
  t.not(second.init.session_id, first.init.session_id);
  second.close();
});
