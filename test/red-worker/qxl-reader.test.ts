import test from 'ava';
import { QxlReader } from '../../actors/pipeline/red-worker/qxl-reader.js';
import { QxlDevice } from '../../native/qxl/device.js';
import { QxlConsumer } from '../../native/qxl/endpoints.js';
import type { QxlCommand } from '../../native/qxl/layout.js';
import { qxlDrawableUnionOffset } from '../../codecs/qxl/commands.js';

/** A device with one command pushed, the command as the red-worker pops it, and a reader. */
function pushed(push: (d: QxlDevice) => boolean, cursor = false) {
  const device = QxlDevice.create(1 << 20);
  const consumer = new QxlConsumer(device.memory, [device.handoff.slot], () => {});
  if (!push(device)) throw new Error('push failed');
  const cmd = (cursor ? consumer.cursor : consumer.commands).pop() as QxlCommand;
  const bytes = new Uint8Array(device.memory);
  const offset = consumer.slots.resolve(cmd.data, 8) as number;
  return { device, cmd, bytes, offset, view: new DataView(device.memory), reader: new QxlReader(bytes, consumer.slots) };
}

const src = { width: 4, height: 2, stride: 16, pixels: Uint8Array.from({ length: 32 }, (_, i) => i) };
const box = { left: 10, top: 20, right: 14, bottom: 22 };

test('a DRAW_COPY reads back with its box and a view of its pixels in the device memory', (t) => {
  const { device, cmd, reader } = pushed((d) => d.drawCopy(box, src, 0, 0));
  t.teardown(() => device.close());
  const w = reader.read(cmd);
  if (!('kind' in w) || w.kind !== 'copy') return t.fail(JSON.stringify(w));
  t.deepEqual(w.box, { top: 20, left: 10, bottom: 22, right: 14 });
  t.deepEqual([...w.src.pixels], [...src.pixels]);
});

test('bad addresses, sizes and types are error values, never reads outside the device memory', (t) => {
  const cases: Array<[string, (v: DataView, at: number) => void]> = [
    ['drawable type', (v, at) => v.setUint8(at + 13, 10)],
    ['surface', (v, at) => v.setUint32(at + 8, 3, true)],
    ['image address slot', (v, at) => v.setBigUint64(at + qxlDrawableUnionOffset, 0x0500_0000_0000_2000n, true)],
    ['image address generation', (v, at) => v.setBigUint64(at + qxlDrawableUnionOffset, 0x0007_0000_0000_2000n, true)],
    ['image address beyond the memory', (v, at) => v.setBigUint64(at + qxlDrawableUnionOffset, 0x0000_0000_7fff_0000n, true)],
    ['source area', (v, at) => v.setInt32(at + qxlDrawableUnionOffset + 8 + 8, 100, true)],
    ['clip type', (v, at) => v.setUint32(at + 47, 9, true)],
    [
      'clip rects address',
      (v, at) => {
        v.setUint32(at + 47, 1, true);
        v.setBigUint64(at + 51, 0xffff_ffff_ffff_ffffn, true);
      },
    ],
  ];
  for (const [what, corrupt] of cases) {
    const { device, cmd, view, offset, reader } = pushed((d) => d.drawCopy(box, src, 0, 0));
    corrupt(view, offset);
    const r = reader.read(cmd);
    t.true('error' in r, `${what}: ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    device.close();
  }
});

test("a surface reads back as a view of its memory in the device; a drawing copied from it in place is the host's own write", (t) => {
  const { device, cmd, reader } = pushed((d) => {
    const surface = d.surfaceCreate(16, 8);
    surface?.pixels.fill(7, 0, 4);
    return surface !== undefined;
  });
  t.teardown(() => device.close());
  const w = reader.read(cmd);
  if (!('kind' in w) || w.kind !== 'surface-create') return t.fail(JSON.stringify(w));
  t.like(w.pixels, { width: 16, height: 8, stride: 64 });
  t.deepEqual([...w.pixels.pixels.subarray(0, 5)], [7, 7, 7, 7, 0]);
  t.is(w.pixels.pixels.buffer, device.memory);

  const written = pushed((d) => d.damage(box, 41));
  t.like(written.reader.read(written.cmd), { kind: 'written', box, generation: 41 });
  written.device.close();
});

test('a surface too large, of another format, or whose memory runs past its slot is refused', (t) => {
  // QXLSurfaceCmd: release_info u64, surface_id u32, type u8, flags u32, format u32 at 17, width at 21, height at 25.
  const cases: Array<[string, (v: DataView, at: number) => void]> = [
    ['width', (v, at) => v.setUint32(at + 21, 100_000, true)],
    ['format', (v, at) => v.setUint32(at + 17, 96, true)],
    ['memory', (v, at) => v.setUint32(at + 25, 16_000, true)],
  ];
  for (const [what, corrupt] of cases) {
    const { device, cmd, view, offset, reader } = pushed((d) => d.surfaceCreate(64, 8) !== undefined);
    corrupt(view, offset);
    t.true('error' in reader.read(cmd), what);
    device.close();
  }
  const run = pushed((d) => d.drawCopy(box, src, 0, 0));
  // The image's QXLBitmap: y (rows) at descriptor(18) + format, flags, x.
  const image = Number(run.view.getBigUint64(run.offset + qxlDrawableUnionOffset, true) & 0xffff_ffffn);
  run.view.setUint32(image + 18 + 2 + 4, 100_000, true);
  t.true('error' in run.reader.read(run.cmd));
  run.device.close();
});

test('a cursor shape reads back whole', (t) => {
  const data = Uint8Array.from({ length: 2 * 2 * 4 }, (_, i) => i + 1);
  const { device, cmd, reader } = pushed(
    (d) => d.cursorSet({ unique: 9n, type: 0, width: 2, height: 2, hotX: 1, hotY: 0, data }, 5, 6, true),
    true,
  );
  t.teardown(() => device.close());
  const w = reader.read(cmd);
  if (!('kind' in w) || w.kind !== 'cursor-set') return t.fail(JSON.stringify(w, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  t.like(w, { x: 5, y: 6, visible: true });
  t.like(w.shape, { unique: 9n, width: 2, height: 2, hotX: 1 });
  t.deepEqual([...w.shape.data], [...data]);
});
