import test from 'ava';
import { decodeMessage, encodeMessage } from '../../codecs/protocol/table.js';
import { portProtocol, spicevmcProtocol } from '../../codecs/protocol/channels/spicevmc.js';
import { DataCompression } from '../../codecs/protocol/enums.js';
import { compressData, compressThreshold, decompressData } from '../../codecs/spicevmc/compressed-data.js';
import { decodeVscClient, encodeVsc, VscStreamReader, VscType, vscMaxPayload } from '../../codecs/protocol/vsc.js';

test("PORT_INIT is spice-server's layout: name_size, a pointer to the name with its NUL, opened", (t) => {
  const name = new TextEncoder().encode('org.spice-space.webdav.0\0');
  const { type, body } = encodeMessage(portProtocol.server, { name: 'init', body: { name, opened: 1 } });
  t.is(type, 201);
  const v = new DataView(body.buffer, body.byteOffset);
  t.deepEqual([v.getUint32(0, true), v.getUint32(4, true), body[8]], [name.length, 9, 1]);
  t.deepEqual(body.subarray(9), name);
  const back = decodeMessage(portProtocol.server, type, body);
  t.true(back.ok && back.value.name === 'init' && back.value.body.opened === 1);
});

test('COMPRESSED_DATA: LZ4 past the threshold when it pays, exact sizes back, hostile blocks refused', (t) => {
  const text = new TextEncoder().encode('spicevmc '.repeat(500));
  t.is(compressData(text.subarray(0, compressThreshold)), null, 'small: plain DATA');
  t.is(compressData(crypto.getRandomValues(new Uint8Array(4000))), null, 'incompressible: plain DATA');
  const c = compressData(text)!;
  t.true(c.data.length < text.length / 10);
  const wire = encodeMessage(spicevmcProtocol.client, { name: 'compressed_data', body: c });
  const m = decodeMessage(spicevmcProtocol.client, wire.type, wire.body);
  t.true(m.ok && m.value.name === 'compressed_data');
  const d = decompressData((m as { value: { body: typeof c } }).value.body, 1 << 20);
  t.true(d.ok && Buffer.from(d.value).equals(Buffer.from(text)));
  t.false(decompressData({ ...c, uncompressed_size: text.length + 1 }, 1 << 20).ok, 'another size than announced');
  t.false(decompressData({ ...c, uncompressed_size: 2 << 20 }, 1 << 20).ok, 'past the bound');
  t.false(decompressData({ type: 7, uncompressed_size: undefined, data: c.data }, 1 << 20).ok, 'unknown type');
  t.false(decompressData({ type: DataCompression.lz4, uncompressed_size: 100, data: new Uint8Array([0xff, 0xff, 0xff]) }, 1 << 20).ok);
  for (let i = 0; i < 200; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 64)));
    decompressData({ type: DataCompression.lz4, uncompressed_size: 1 + i * 13, data: junk }, 1 << 20);
  }
  t.pass('random blocks only error values');
});

test('VSC: the client order is little-endian, the device order big-endian; the device stream is cut and bounded', (t) => {
  const m = { type: VscType.apdu, readerId: 0, payload: new Uint8Array([1, 2, 3]) };
  const client = encodeVsc(m, 'client');
  t.deepEqual([...client.subarray(0, 12)], [7, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
  t.deepEqual(decodeVscClient(client), { ok: true, value: m });
  t.false(decodeVscClient(client.subarray(0, 14)).ok, 'a length the message does not carry');
  t.false(decodeVscClient(client.subarray(0, 5)).ok, 'shorter than a header');
  const device = encodeVsc(m, 'device');
  t.deepEqual([...device.subarray(0, 12)], [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3]);
  const r = new VscStreamReader();
  const two = new Uint8Array([...device, ...encodeVsc({ ...m, type: VscType.error }, 'device')]);
  const got = [r.push(two.subarray(0, 5)), r.push(two.subarray(5, 20)), r.push(two.subarray(20))];
  t.deepEqual(
    got.map((g) => (g.ok ? g.value.map((x) => x.type) : g.error)),
    [[], [VscType.apdu], [VscType.error]],
  );
  t.is(r.pending, 0);
  const huge = new Uint8Array(12);
  new DataView(huge.buffer).setUint32(8, vscMaxPayload + 1, false);
  t.false(r.push(huge).ok, 'a length past the bound');
});
