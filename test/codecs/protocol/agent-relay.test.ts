/**
 * The relay's codecs: VDI chunks read from a byte stream cut anywhere (an oversized one passed
 * over unstored), and the agent message filter's verdicts (spice-common's agent_msg_filter).
 */
import test from 'ava';
import { AgentMessageHeader, AgentMessageType, AgentPort } from '../../../codecs/protocol/agent.js';
import { ChunkReader, encodeChunk, type ChunkEvent } from '../../../codecs/protocol/agent-chunks.js';
import { AgentMessageFilter } from '../../../codecs/protocol/agent-filter.js';
import { encode } from '../../../codecs/protocol/wire.js';

const message = (type: number, data: Uint8Array, size = data.length, protocol = 1) =>
  new Uint8Array([...encode(AgentMessageHeader, { protocol, type, opaque: 0n, size }), ...data]);

test('chunks come out whole however the stream is cut; one over 2048 bytes is reported and passed over', (t) => {
  const a = encodeChunk(AgentPort.client, new Uint8Array([1, 2, 3]));
  const big = encodeChunk(AgentPort.client, new Uint8Array(3000));
  const b = encodeChunk(AgentPort.server, new Uint8Array(2048).fill(7));
  const stream = new Uint8Array([...a, ...big, ...b]);
  for (const step of [1, 3, 8, 100, stream.length]) {
    const reader = new ChunkReader();
    const events: ChunkEvent[] = [];
    for (let at = 0; at < stream.length; at += step) reader.push(stream.subarray(at, at + step), (e) => events.push(e));
    t.deepEqual(events, [
      { kind: 'chunk', port: AgentPort.client, data: new Uint8Array([1, 2, 3]) },
      { kind: 'oversized', port: AgentPort.client, size: 3000 },
      { kind: 'chunk', port: AgentPort.server, data: new Uint8Array(2048).fill(7) },
    ]);
  }
});

test('the filter: clipboard and file transfer discarded by policy, whole messages; pieces past a message, short headers, other protocols refused', (t) => {
  const off = new AgentMessageFilter({ copyPaste: false, fileTransfer: false });
  const on = new AgentMessageFilter({ copyPaste: true, fileTransfer: true });
  const grab = message(AgentMessageType.clipboardGrab, new Uint8Array(8));
  for (const f of [off, on]) {
    const v = f.process(grab);
    t.true(v.ok && v.value.pass === (f === on) && v.value.starts?.type === AgentMessageType.clipboardGrab);
  }
  // A file's data over two pieces: both discarded when off, the second without a header of its own.
  const start = message(AgentMessageType.fileXferData, new Uint8Array(10), 30);
  t.like(off.process(start), { ok: true, value: { pass: false } });
  t.is(off.pending, 20);
  t.like(off.process(new Uint8Array(20)), { ok: true, value: { pass: false, starts: null } });
  t.is(off.pending, 0);
  t.like(off.process(message(AgentMessageType.monitorsConfig, new Uint8Array(8))), { ok: true, value: { pass: true } });

  t.like(on.process(message(100, new Uint8Array(30), 10)), { ok: false });
  t.like(on.process(new Uint8Array(12)), { ok: false });
  t.like(on.process(message(100, new Uint8Array(4), 4, 7)), { ok: false });
  t.like(on.process(message(100, new Uint8Array(4))), { ok: true, value: { pass: true } }, 'an unknown type passes, as spice-server');
});
