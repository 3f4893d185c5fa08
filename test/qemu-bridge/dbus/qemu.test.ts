/**
 * Against a real QEMU (Debian 12's 7.2) with `-display dbus`: on a private bus, and peer to peer
 * (`p2p=yes`, the link handed over by QMP getfd + add_client). A listener registered through a
 * socketpair fd mirrors the SeaBIOS screen from Scanout/Update, and the mirror must equal QMP
 * screendump.
 */
import test, { type ExecutionContext } from 'ava';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { close, socketPair } from '../../../native/index.js';
import { DBusConnection } from '../../../actors/hosts/qemu-bridge/dbus/connection.js';
import { findQemu, QemuDisplay } from '../../../actors/hosts/qemu-bridge/dbus/display1-proxy.js';
import { openListener, type Scanout, type Update } from '../../../actors/hosts/qemu-bridge/dbus/display1-listener.js';
import { DBusError } from '../../../actors/hosts/qemu-bridge/dbus/errors.js';
import { UnixTransport } from '../../../actors/hosts/qemu-bridge/dbus/transport.js';
import { startBus } from '../../helpers/dbus-daemon.js';
import { eventually, settle } from '../../helpers/eventually.js';
import { haveQemu, startBiosQemu, type Qemu } from '../../../guest/qemu.js';
import { boxHeight, boxWidth } from '../../../codecs/box.js';

const X8R8G8B8 = 0x20020888;
const qemuTest = haveQemu() ? test.serial : test.skip;
if (!haveQemu()) console.warn('qemu-system-x86_64 not installed: the QEMU interop tests are skipped');

/** The guest screen rebuilt from what the listener gets: x8r8g8b8 rows, tightly packed. */
class Mirror {
  width = 0;
  height = 0;
  pixels = new Uint8Array(0);
  scanouts = 0;
  updates = 0;
  formats = new Set<number>();

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    const next = new Uint8Array(width * height * 4);
    for (let y = 0; y < Math.min(height, this.height); y++) {
      next.set(this.pixels.subarray(y * this.width * 4, y * this.width * 4 + Math.min(width, this.width) * 4), y * width * 4);
    }
    [this.width, this.height, this.pixels] = [width, height, next];
  }

  private blit(x: number, y: number, w: number, h: number, stride: number, data: Uint8Array): void {
    for (let row = 0; row < h; row++) this.pixels.set(data.subarray(row * stride, row * stride + w * 4), ((y + row) * this.width + x) * 4);
  }

  scanout = (s: Scanout) => {
    this.scanouts++;
    this.formats.add(s.format);
    this.resize(s.width, s.height);
    this.blit(0, 0, s.width, s.height, s.stride, s.data);
  };

  update = (u: Update) => {
    this.updates++;
    this.formats.add(u.format);
    // No Scanout follows a mode change (QEMU 7.2): an Update beyond the known size grows it.
    if (u.right > this.width || u.bottom > this.height) this.resize(Math.max(this.width, u.right), Math.max(this.height, u.bottom));
    this.blit(u.left, u.top, boxWidth(u), boxHeight(u), u.stride, u.data);
  };

  /** Pixels whose colour differs from a screendump (B,G,R; the 4th byte is padding), or -1 if the sizes differ. */
  differences(dump: Bitmap32): number {
    if (dump.width !== this.width || dump.height !== this.height) return -1;
    let n = 0;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0, i = y * this.width * 4, j = y * dump.stride; x < this.width; x++, i += 4, j += 4) {
        if (this.pixels[i] !== dump.pixels[j] || this.pixels[i + 1] !== dump.pixels[j + 1] || this.pixels[i + 2] !== dump.pixels[j + 2])
          n++;
      }
    }
    return n;
  }

  /** How many pixels are not black. */
  lit(): number {
    let n = 0;
    for (let i = 0; i < this.pixels.length; i += 4) if (this.pixels[i] || this.pixels[i + 1] || this.pixels[i + 2]) n++;
    return n;
  }
}

const handlers = (mirror: Mirror) => ({ scanout: mirror.scanout, update: mirror.update, cursorDefine: () => {}, mouseSet: () => {} });

/** Waits until the mirror equals a screendump (the text cursor blinks: retried), or fails with the last difference. */
async function matchesScreendump(t: ExecutionContext, qemu: Qemu, mirror: Mirror): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 30; attempt++) {
    const dump = await qemu.screendump();
    const diff = mirror.differences(dump);
    if (diff === 0) {
      t.log(
        `mirror = screendump ${dump.width}x${dump.height} after ${mirror.scanouts} Scanout, ${mirror.updates} Updates (attempt ${attempt + 1})`,
      );
      return;
    }
    last = diff < 0 ? `size ${mirror.width}x${mirror.height} vs ${dump.width}x${dump.height}` : `${diff} pixels differ`;
    await settle(300);
  }
  t.fail(`the mirror never matched the screendump: ${last}`);
}

qemuTest(
  'bus mode: a listener registered over the bus with a socketpair fd mirrors the SeaBIOS screen exactly; console properties follow',
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const qemu = await startBiosQemu(bus.dir, `dbus,addr=${bus.address}`, ['-name', 'dbus-interop']);
    t.teardown(() => qemu.stop());
    const conn = await DBusConnection.connect(bus.address);
    t.teardown(() => conn.close());
    let name: string | undefined;
    await eventually('QEMU on the bus', async () => (name = await findQemu(conn, qemu.process.pid)) !== undefined, 10_000);
    const display = new QemuDisplay(conn, name);
    t.like(await display.vm(), { name: 'dbus-interop', consoleIds: [0] });
    const console0 = display.console(0);
    t.like(await console0.info(), { label: 'VGA', type: 'Graphic', head: 0, width: 640, height: 480 });
    const sizes: string[] = [];
    const mirror = new Mirror();
    await console0.onPropertiesChanged((iface, changed) => {
      const w = changed.get('Width')?.value;
      const h = changed.get('Height')?.value;
      if (iface === 'org.qemu.Display1.Console' && typeof w === 'number' && typeof h === 'number') {
        sizes.push(`${w}x${h}`);
        mirror.resize(w, h);
      }
    });
    const link = await openListener(console0, handlers(mirror));
    t.teardown(() => link.close());
    t.true(link.unixFds, 'QEMU 7.2 negotiates fds on the listener link');
    // QEMU answered nothing before our GetAll reply; then it pushes the whole surface.
    await eventually('the first Scanout', () => mirror.scanouts === 1);
    t.is(mirror.width * mirror.height, 640 * 480);
    await qemu.qmp.execute('cont');
    await eventually('SeaBIOS text on screen', () => sizes.includes('720x400') && mirror.lit() > 500, 10_000);
    t.deepEqual([...mirror.formats], [X8R8G8B8]);
    await matchesScreendump(t, qemu, mirror);
  },
);

qemuTest('input reaches QEMU 7.2 through the proxy; values that would crash it are refused before they are sent', async (t) => {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const qemu = await startBiosQemu(bus.dir, `dbus,addr=${bus.address}`);
  t.teardown(() => qemu.stop());
  const conn = await DBusConnection.connect(bus.address);
  t.teardown(() => conn.close());
  let name: string | undefined;
  await eventually('QEMU on the bus', async () => (name = await findQemu(conn, qemu.process.pid)) !== undefined, 10_000);
  const console0 = new QemuDisplay(conn, name).console(0);
  await console0.keyPress(0x01);
  await console0.keyRelease(0x01);
  await console0.mousePress(8); // wheel right: known to 7.2
  await console0.mouseRelease(8);
  await console0.mouseRelMotion(10, -5);
  await console0.mouseRelMotion(1, 1, { noReply: true });
  t.false(await console0.mouseIsAbsolute());
  t.is(typeof (await console0.keyboardModifiers()), 'number');
  await t.throwsAsync(console0.mousePress(9), { instanceOf: RangeError });
  await t.throwsAsync(console0.mouseRelease(42), { instanceOf: RangeError });
  await t.throwsAsync(console0.keyPress(0x100), { instanceOf: RangeError });
  const notAbsolute = await t.throwsAsync(console0.mouseSetAbsPosition(1, 1), { instanceOf: DBusError });
  t.regex(notAbsolute?.message ?? '', /not absolute/);
  const noUiInfo = await t.throwsAsync(console0.setUIInfo({ widthMm: 300, heightMm: 200, xoff: 0, yoff: 0, width: 1024, height: 768 }), {
    instanceOf: DBusError,
  });
  t.regex(noUiInfo?.message ?? '', /SetUIInfo is not supported/);
  // QEMU is alive and well
  t.like(await new QemuDisplay(conn, name).vm(), { consoleIds: [0] });
  t.is(qemu.process.exitCode, null);
  t.notRegex(qemu.stderr(), /Assertion/);
});

qemuTest(
  'p2p mode: the link goes to QEMU by QMP getfd (SCM_RIGHTS) + add_client; no Hello; a listener registered over it mirrors the screen',
  async (t) => {
    const bus = await startBus(); // only for its scratch directory
    t.teardown(() => bus.stop());
    const qemu = await startBiosQemu(bus.dir, 'dbus,p2p=yes');
    t.teardown(() => qemu.stop());
    const [ours, theirs] = socketPair();
    await qemu.qmp.execute('getfd', { fdname: 'dbus0' }, [theirs]);
    close(theirs);
    const conn = new DBusConnection(UnixTransport.fromFd(ours), { bus: false });
    t.teardown(() => conn.close());
    await qemu.qmp.execute('add_client', { protocol: '@dbus-display', fdname: 'dbus0' });
    await conn.ready;
    t.is(conn.uniqueName, undefined);
    t.true(conn.unixFds);
    const display = new QemuDisplay(conn);
    t.like(await display.vm(), { consoleIds: [0] });
    const mirror = new Mirror();
    // Signals come straight over the link (no bus, no AddMatch).
    await display.console(0).onPropertiesChanged((_, changed) => {
      const [w, h] = [changed.get('Width')?.value, changed.get('Height')?.value];
      if (typeof w === 'number' && typeof h === 'number') mirror.resize(w, h);
    });
    const link = await openListener(display.console(0), handlers(mirror));
    t.teardown(() => link.close());
    await eventually('the first Scanout', () => mirror.scanouts === 1);
    await qemu.qmp.execute('cont');
    await eventually('SeaBIOS text on screen', () => mirror.width === 720 && mirror.height === 400 && mirror.lit() > 500, 10_000);
    await matchesScreendump(t, qemu, mirror);
  },
);
