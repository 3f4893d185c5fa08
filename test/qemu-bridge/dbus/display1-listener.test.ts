/**
 * The Listener we serve, driven by one of our own connections playing QEMU (server side of the
 * link, as QEMU is): what reaches the handlers, what is refused, the Interfaces property, and the
 * 9.2+ Unix.Map calls with a memfd (no QEMU here has them).
 */
import test from 'ava';
import { readdirSync, readlinkSync } from 'node:fs';
import { close, mapShared, memfdCreate, socketPair, type Fd } from '../../../native/index.js';
import { DBusConnection } from '../../../actors/hosts/qemu-bridge/dbus/connection.js';
import {
  listenerInterfaces,
  type ListenerHandlers,
  type MapScanout,
  type Scanout,
  type Update,
} from '../../../actors/hosts/qemu-bridge/dbus/display1-listener.js';
import { Listener, LISTENER, LISTENER_PATH, LISTENER_UNIX_MAP, ListenerUnixMap } from '../../../actors/hosts/qemu-bridge/dbus/display1.js';
import { DBusError, Errors } from '../../../actors/hosts/qemu-bridge/dbus/errors.js';
import { StandardMethods } from '../../../actors/hosts/qemu-bridge/dbus/exported.js';
import { UnixTransport } from '../../../actors/hosts/qemu-bridge/dbus/transport.js';
import { eventually } from '../../helpers/eventually.js';
import { boxAt, type Box } from '../../../codecs/box.js';

const XRGB = 0x20020888;
const target = { path: LISTENER_PATH };

interface Seen {
  scanouts: Scanout[];
  updates: Update[];
  maps: MapScanout[];
  mapUpdates: Box[];
  cursors: number;
  mouse: [number, number, boolean][];
}

async function link(t: { teardown: (f: () => void) => void }, withMap: boolean) {
  const seen: Seen = { scanouts: [], updates: [], maps: [], mapUpdates: [], cursors: 0, mouse: [] };
  const handlers: ListenerHandlers = {
    scanout: (s) => seen.scanouts.push(s),
    update: (u) => seen.updates.push(u),
    cursorDefine: () => seen.cursors++,
    mouseSet: (x, y, v) => seen.mouse.push([x, y, v]),
    ...(withMap && {
      map: {
        scanoutMap: (m: MapScanout) => seen.maps.push(m),
        updateMap: (r: Box) => {
          seen.mapUpdates.push(r);
        },
      },
    }),
  };
  const [a, b] = socketPair();
  const qemu = new DBusConnection(UnixTransport.fromFd(a), { bus: false, role: 'server' });
  const ours = new DBusConnection(UnixTransport.fromFd(b), { bus: false });
  ours.export(LISTENER_PATH, listenerInterfaces(handlers));
  await Promise.all([qemu.ready, ours.ready]);
  t.teardown(() => {
    qemu.close();
    ours.close();
  });
  return { qemu, seen };
}

test('GetAll answers at once; Interfaces lists Unix.Map only when we handle it', async (t) => {
  const plain = await link(t, false);
  const [props] = await plain.qemu.call(target, StandardMethods.getAll, [LISTENER]);
  t.deepEqual(props.get('Interfaces')?.value, []);
  const mapped = await link(t, true);
  const [props2] = await mapped.qemu.call(target, StandardMethods.getAll, [LISTENER]);
  t.deepEqual(props2.get('Interfaces')?.value, [LISTENER_UNIX_MAP]);
});

test('Scanout, Update, CursorDefine, MouseSet reach the handlers with their pixels as sent', async (t) => {
  const { qemu, seen } = await link(t, false);
  const frame = Uint8Array.from({ length: 8 * 4 * 2 }, (_, i) => i); // 6x2 pixels, stride 32 (padded)
  await qemu.call(target, Listener.scanout, [6, 2, 32, XRGB, frame], { noReply: true });
  await qemu.call(target, Listener.update, [1, 1, 2, 1, 8, XRGB, new Uint8Array(8).fill(7)], { noReply: true });
  await qemu.call(target, Listener.cursorDefine, [2, 2, 0, 1, new Uint8Array(16)], { noReply: true });
  await qemu.call(target, Listener.mouseSet, [10, 20, 1], { noReply: true });
  await qemu.call(target, Listener.mouseSet, [10, 20, 0]);
  t.is(seen.scanouts.length, 1);
  t.like(seen.scanouts[0], { width: 6, height: 2, stride: 32, format: XRGB });
  t.deepEqual([...seen.scanouts[0]!.data], [...frame]);
  t.like(seen.updates[0], { ...boxAt(1, 1, 2, 1), stride: 8 });
  t.is(seen.cursors, 1);
  t.deepEqual(seen.mouse, [
    [10, 20, true],
    [10, 20, false],
  ]);
});

test('inconsistent sizes are refused with InvalidArgs and never reach a handler', async (t) => {
  const { qemu, seen } = await link(t, false);
  const refused = async (p: Promise<unknown>) => (await t.throwsAsync(p, { instanceOf: DBusError }))?.errorName;
  t.is(await refused(qemu.call(target, Listener.scanout, [6, 2, 32, XRGB, new Uint8Array(32 + 23)])), Errors.InvalidArgs, 'last row short');
  t.is(await refused(qemu.call(target, Listener.scanout, [6, 2, 20, XRGB, new Uint8Array(64)])), Errors.InvalidArgs, 'stride below a row');
  t.is(await refused(qemu.call(target, Listener.scanout, [0, 2, 32, XRGB, new Uint8Array(64)])), Errors.InvalidArgs, 'empty');
  t.is(
    await refused(qemu.call(target, Listener.scanout, [70000, 1, 280000, XRGB, new Uint8Array(280000)])),
    Errors.InvalidArgs,
    'absurd width',
  );
  t.is(
    await refused(qemu.call(target, Listener.scanout, [2, 2, 8, 0x07020888, new Uint8Array(16)])),
    Errors.InvalidArgs,
    'not whole bytes per pixel',
  );
  t.is(await refused(qemu.call(target, Listener.update, [-1, 0, 1, 1, 4, XRGB, new Uint8Array(4)])), Errors.InvalidArgs, 'negative x');
  t.is(await refused(qemu.call(target, Listener.update, [0, 0, 2, 2, 8, XRGB, new Uint8Array(15)])), Errors.InvalidArgs, 'short update');
  t.is(await refused(qemu.call(target, Listener.cursorDefine, [2, 2, 0, 0, new Uint8Array(15)])), Errors.InvalidArgs, 'short cursor');
  t.deepEqual([seen.scanouts.length, seen.updates.length, seen.cursors], [0, 0, 0]);
});

test('Unix.Map: ScanoutMap hands over the memfd, UpdateMap is answered; unhandled DMABUF calls are refused and their fd closed', async (t) => {
  const { qemu, seen } = await link(t, true);
  const memfd = memfdCreate('surface', 4096 + 64 * 16 * 4);
  new Uint8Array(mapShared(memfd, 4096 + 64 * 16 * 4)).fill(0x42, 4096);
  await qemu.call(target, ListenerUnixMap.scanoutMap, [memfd, 4096, 64, 16, 256, XRGB]);
  close(memfd);
  await qemu.call(target, ListenerUnixMap.updateMap, [0, 0, 64, 16]);
  t.is(seen.maps.length, 1);
  const m = seen.maps[0]!;
  t.like(m, { offset: 4096, width: 64, height: 16, stride: 256, format: XRGB });
  const pixels = new Uint8Array(mapShared(m.fd, m.offset + m.stride * m.height)).subarray(m.offset);
  t.true(pixels.every((b) => b === 0x42));
  close(m.fd);
  t.deepEqual(seen.mapUpdates, [boxAt(0, 0, 64, 16)]);

  const dmabuf = memfdCreate('not-a-dmabuf', 16);
  const e = await t.throwsAsync(qemu.call(target, Listener.scanoutDmabuf, [dmabuf as Fd, 1, 1, 4, 0, 0n, true]), { instanceOf: DBusError });
  t.is(e?.errorName, Errors.UnknownMethod);
  close(dmabuf);
  await eventually('the refused fd closed on our side', () =>
    readdirSync('/proc/self/fd').every((fd) => !safeLink(fd).startsWith('memfd:not-a-dmabuf')),
  );
});

function safeLink(fd: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}
