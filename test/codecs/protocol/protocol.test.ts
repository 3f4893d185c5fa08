import test from 'ava';
import { cursorProtocol } from '../../../codecs/protocol/channels/cursor.js';
import { displayProtocol } from '../../../codecs/protocol/channels/display.js';
import { inputsProtocol } from '../../../codecs/protocol/channels/inputs.js';
import { mainProtocol } from '../../../codecs/protocol/channels/main.js';
import { BitmapFlags, BitmapFormat, ClipType, CursorFlags, ImageType, Ropd } from '../../../codecs/protocol/enums.js';
import { MessageReader, frame } from '../../../codecs/protocol/framing.js';
import { decodeMessage, encodeMessage, type ChannelProtocol, type Defs, type MessageOf } from '../../../codecs/protocol/table.js';

function roundTrip<S extends Defs>(t: import('ava').ExecutionContext, p: ChannelProtocol<S, Defs>, msg: MessageOf<S>): Uint8Array {
  const { type, body } = encodeMessage(p.server, msg);
  const back = decodeMessage(p.server, type, body);
  t.true(back.ok, back.ok ? '' : back.error);
  if (back.ok) t.deepEqual(back.value, msg);
  return body;
}

test('main INIT is 32 bytes of u32s in order; CHANNELS_LIST and NAME as spice.proto lays them out', (t) => {
  const init = roundTrip(t, mainProtocol, {
    name: 'init',
    body: {
      session_id: 1,
      display_channels_hint: 2,
      supported_mouse_modes: 3,
      current_mouse_mode: 1,
      agent_connected: 0,
      agent_tokens: 10,
      multi_media_time: 7,
      ram_hint: 9,
    },
  });
  t.deepEqual([...new Uint32Array(init.slice().buffer)], [1, 2, 3, 1, 0, 10, 7, 9]);
  const list = roundTrip(t, mainProtocol, {
    name: 'channels_list',
    body: {
      channels: [
        { type: 3, id: 0 },
        { type: 4, id: 1 },
      ],
    },
  });
  t.deepEqual([...list], [2, 0, 0, 0, 3, 0, 4, 1]);
  const name = roundTrip(t, mainProtocol, { name: 'name', body: { name: Uint8Array.from(Buffer.from('vm\0')) } });
  t.deepEqual([...name], [3, 0, 0, 0, 0x76, 0x6d, 0]);
});

test('MIGRATE_SWITCH_HOST: ports, then sizes and offsets from the body start to NUL-terminated strings; no subject is offset 0', (t) => {
  const host = Uint8Array.from(Buffer.from('h1\0'));
  const subject = Uint8Array.from(Buffer.from('CN=x\0'));
  const body = roundTrip(t, mainProtocol, {
    name: 'migrate_switch_host',
    body: { port: 5930, sport: 5931, host_data: host, cert_subject_data: subject },
  });
  // u16 port, u16 sport, u32 host_size, u32 host offset, u32 subject size, u32 subject offset: 20 bytes, then the strings.
  const view = Buffer.from(body);
  t.deepEqual([view.readUInt16LE(0), view.readUInt16LE(2), view.readUInt32LE(4), view.readUInt32LE(8)], [5930, 5931, 3, 20]);
  t.deepEqual([view.readUInt32LE(12), view.readUInt32LE(16)], [5, 23]);
  t.is(view.subarray(20).toString('latin1'), 'h1\0CN=x\0');
  const bare = Buffer.from(
    roundTrip(t, mainProtocol, { name: 'migrate_switch_host', body: { port: 0, sport: 5931, host_data: host, cert_subject_data: null } }),
  );
  t.deepEqual([bare.readUInt32LE(12), bare.readUInt32LE(16), bare.length], [0, 0, 23]);
});

test('DRAW_COPY: a 57-byte fixed part, the image behind a pointer from the body start, the bitmap after it', (t) => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const msg = {
    name: 'draw_copy' as const,
    body: {
      base: { surface_id: 0, box: { top: 0, left: 0, bottom: 3, right: 2 }, clip: { type: ClipType.none, rects: undefined } },
      data: {
        src_bitmap: {
          descriptor: { id: 5n, type: ImageType.bitmap, flags: 0, width: 2, height: 3 },
          data: {
            format: BitmapFormat.bit32,
            flags: BitmapFlags.topDown,
            x: 2,
            y: 3,
            stride: 8,
            palette_id: undefined,
            palette: null,
            data: pixels,
          },
        },
        src_area: { top: 0, left: 0, bottom: 3, right: 2 },
        rop_descriptor: Ropd.opPut,
        scale_mode: 0,
        mask: { flags: 0, pos: { x: 0, y: 0 }, bitmap: null },
      },
    },
  };
  const body = roundTrip(t, displayProtocol, msg as never);
  const v = new DataView(body.buffer, body.byteOffset);
  t.is(v.getUint32(21, true), 57, 'src_bitmap points just past the fixed part');
  t.is(body.length, 57 + 18 + 18 + pixels.length, 'image descriptor, bitmap header, pixels');
  t.deepEqual([...body.subarray(body.length - pixels.length)], [...pixels]);
});

test('MONITORS_CONFIG counts its heads; a cursor without a shape is its flags alone', (t) => {
  const head = { monitor_id: 0, surface_id: 0, width: 640, height: 480, x: 0, y: 0, flags: 0 };
  const body = roundTrip(t, displayProtocol, { name: 'monitors_config', body: { max_allowed: 1, heads: [head] } } as never);
  t.is(body.length, 4 + 28);
  t.is(body[0], 1);
  const hide = roundTrip(t, cursorProtocol, {
    name: 'init',
    body: {
      position: { x: 1, y: 2 },
      trail_length: 0,
      trail_frequency: 0,
      visible: 0,
      cursor: { flags: CursorFlags.none, header: undefined, data: new Uint8Array(0) },
    },
  } as never);
  t.is(hide.length, 4 + 2 + 2 + 1 + 2);
});

test('a large body grows the writer without losing what was written', (t) => {
  const data = Uint8Array.from({ length: 300_000 }, (_, i) => i * 7);
  roundTrip(t, cursorProtocol, {
    name: 'set',
    body: {
      position: { x: 1, y: 1 },
      visible: 1,
      cursor: { flags: 0, header: { unique: 1n, type: 0, width: 1, height: 1, hot_spot_x: 0, hot_spot_y: 0 }, data },
    },
  } as never);
});

test('malformed client messages are error values: short bodies, unknown types, counts beyond the body, pointers out of range', (t) => {
  const bad = (p: ChannelProtocol<Defs, Defs>, side: 'server' | 'client', type: number, bytes: number[]) => {
    const r = decodeMessage(p[side], type, Uint8Array.from(bytes));
    t.false(r.ok, `type ${type} ${JSON.stringify(bytes)}`);
  };
  bad(inputsProtocol, 'client', 111, [1, 0, 0]); // motion cut short
  bad(inputsProtocol, 'client', 99, []); // no such message
  bad(mainProtocol, 'server', 104, [0xff, 0xff, 0xff, 0x7f]); // a channel count the body cannot hold
  bad(
    displayProtocol,
    'server',
    304,
    new Array(57).fill(0).map((_, i) => (i === 21 ? 200 : 0)),
  ); // image pointer past the end
  bad(displayProtocol, 'client', 101, [1, 2, 3]);
});

test('the message reader cuts messages at any chunking and refuses an oversized header before buffering it', (t) => {
  const a = frame('mini', 101, Uint8Array.of(1, 2, 3), 1n);
  const b = frame('mini', 102, Uint8Array.of(), 2n);
  const all = new Uint8Array([...a, ...b]);
  for (let cut = 0; cut <= all.length; cut++) {
    const r = new MessageReader('mini', 16);
    const got = [r.push(all.subarray(0, cut)), r.push(all.subarray(cut))].flatMap((x) => (x.ok ? x.messages : []));
    t.deepEqual(
      got.map((m) => [m.type, [...m.body]]),
      [
        [101, [1, 2, 3]],
        [102, []],
      ],
    );
  }
  const full = new MessageReader('full', 16);
  const f = full.push(frame('full', 7, new Uint8Array(4), 9n));
  t.true(f.ok && f.messages[0]!.type === 7);
  const big = new MessageReader('mini', 16);
  const r = big.push(frame('mini', 1, new Uint8Array(0), 1n).map((x, i) => (i === 2 ? 17 : x)));
  t.false(r.ok);
});
