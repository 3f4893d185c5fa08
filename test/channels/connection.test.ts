import test from 'ava';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { ChannelConnection } from '../../channel/connection.js';
import { displayProtocol } from '../../codecs/protocol/channels/display.js';
import { inputsProtocol } from '../../codecs/protocol/channels/inputs.js';
import { CommonCap } from '../../codecs/protocol/enums.js';
import { frame } from '../../codecs/protocol/framing.js';
import { encodeMessage } from '../../codecs/protocol/table.js';
import { createLogger } from '../../runtime/log.js';
import { eventually } from '../helpers/eventually.js';

/** A linked client of channel type `channelType` with the mini header. */
const testLink = (channelType: number) => ({
  session: 1,
  channelType,
  channelId: 0,
  commonCaps: [1 << CommonCap.miniHeader],
  channelCaps: [],
  secure: false,
  peer: 'test',
});

test('queued bytes count what the socket still holds: a large message handed to a stalled peer stays counted until the kernel takes it', async (t) => {
  let peer!: net.Socket;
  const server = net.createServer((s) => {
    peer = s;
    s.pause();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  await eventually('the peer', () => peer !== undefined);
  t.teardown(() => (socket.destroy(), server.close()));
  const link = testLink(2);
  const c = new ChannelConnection(socket, link, displayProtocol, { log: createLogger('silent'), maxBody: 1024 });
  let drained = 0;
  c.onDrain(() => drained++);

  const size = 32 << 20;
  c.sendEncoded(displayProtocol.server.number.mark, new Uint8Array(size));
  // The message left the connection's own queue at once; most of it waits in the socket.
  t.true(c.queuedBytes > size / 2, `${c.queuedBytes} bytes counted of ${size}`);
  t.is(drained, 0);

  peer.resume();
  await eventually('everything handed to the kernel', () => c.queuedBytes === 0 && drained > 0, 20_000);
});

test('paused input: no client message is taken until resumed, then each once and in order, even when a handler resumes it at once', (t) => {
  const socket = new Duplex({ read() {}, write: (_chunk, _enc, done) => done() });
  const link = testLink(3);
  const c = new ChannelConnection(socket, link, inputsProtocol, { log: createLogger('silent'), maxBody: 2048 });
  const got: number[] = [];
  c.onMessage((m) => {
    if (m.name !== 'key_down') return;
    got.push(m.body.code);
    if (m.body.code === 2) c.pauseInput();
    if (m.body.code === 4) {
      c.pauseInput();
      c.resumeInput();
    }
  });
  const keys = (...codes: number[]) =>
    Buffer.concat(
      codes.map((code, i) => {
        const { type, body } = encodeMessage(inputsProtocol.client, { name: 'key_down', body: { code } });
        return frame('mini', type, body, BigInt(i + 1));
      }),
    );
  c.feed(keys(1, 2, 3, 4, 5));
  t.deepEqual(got, [1, 2], 'held after the message that paused');
  t.true(socket.isPaused(), 'the socket is not read meanwhile');
  c.feed(keys(6));
  t.deepEqual(got, [1, 2], 'what arrives meanwhile waits too');
  c.resumeInput();
  t.deepEqual(got, [1, 2, 3, 4, 5, 6]);
  t.false(socket.isPaused());
  c.close({ by: 'client' });
});

test("writes per turn: the turn's messages reach the socket in one write at its end; without, each at once (queued bytes back to 0 after each, as playback's pacing reads them)", async (t) => {
  const link = testLink(2);
  for (const writesPerTurn of [true, false]) {
    const writes: number[] = [];
    const socket = new Duplex({
      read() {},
      writev: (chunks, done) => (writes.push(chunks.length), done()),
      write: (_chunk, _enc, done) => (writes.push(1), done()),
    });
    const c = new ChannelConnection(socket, link, displayProtocol, { log: createLogger('silent'), maxBody: 1024, writesPerTurn });
    const queued: number[] = [];
    for (let i = 0; i < 3; i++) {
      c.sendEncoded(displayProtocol.server.number.mark, new Uint8Array(100));
      queued.push(c.queuedBytes);
    }
    if (writesPerTurn) {
      t.deepEqual(writes, [], 'nothing written during the turn');
      t.true(queued[2]! > queued[0]!, "the turn's bytes wait in the socket");
      await new Promise((r) => setImmediate(r));
      t.deepEqual(writes, [6], "the three messages' headers and bodies in one writev");
    } else {
      t.deepEqual(writes, [2, 2, 2], 'a writev (header and body) each');
      t.deepEqual(queued, [0, 0, 0]);
    }
    t.is(c.queuedBytes, 0);
    c.close({ by: 'server', why: 'test over' });
  }
});
