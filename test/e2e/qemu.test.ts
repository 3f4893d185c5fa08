/**
 * The companion as a QEMU companion: QEMU 7.2 with `-display dbus` on a private bus, the
 * companion attached with --qemu-dbus; or p2p (--qemu-qmp, and --qemu launching QEMU itself);
 * spice-gtk as the client. The judge of the display
 * is QMP screendump (the guest's real framebuffer); of input, what the guest itself reports.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath as cli } from '../helpers/cli.js';
import { QemuLauncher } from '../../actors/root/qemu-launch.js';
import { Qmp } from '../../actors/hosts/qemu-bridge/qmp.js';
import type { BridgeStats, QemuBridgeContract } from '../../actors/contracts.js';
import type { ActorRef } from '../../runtime/supervisor.js';
import { startBus, type PrivateBus } from '../helpers/dbus-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { haveQemu, startBiosQemu, type Qemu } from '../../guest/qemu.js';
import { clientMatchesGuest, readScreen, spicyScreenshot } from '../helpers/screens.js';
import { startConfiguredServer } from '../helpers/server.js';
import { SpiceProbe, type ProbeEvent } from '../helpers/spice-probe.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { screendump as dumpHead } from '../../guest/qmp.js';
import { AgentCap } from '../../codecs/protocol/agent.js';
import { seriesValue } from '../helpers/prometheus.js';

const qemuTest = haveQemu() ? test.serial : test.skip;
if (!haveQemu()) console.warn('qemu-system-x86_64 not installed: the QEMU companion tests are skipped');

let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

/** The companion attached to the bus, its bridge actor (for its figures), and a clean-up. */
async function companion(t: ExecutionContext, bus: PrivateBus) {
  const server = await startConfiguredServer(['--disable-ticketing', '--qemu-dbus', bus.address]);
  t.teardown(() => server.stop());
  const bridge = server.companion.host as unknown as ActorRef<QemuBridgeContract>;
  const stats = (reset = false): Promise<BridgeStats> => bridge.link.ask({ kind: 'stats', reset });
  return { port: server.port, stats };
}

/** QEMU with SeaBIOS only and no disk: the BIOS text screen. */
const seabios = (bus: PrivateBus): Promise<Qemu> => startBiosQemu(bus.dir, `dbus,addr=${bus.address}`, ['-m', '128']);

const screendump = (qemu: Qemu, dir: string) => async () => {
  const file = join(dir, 'dump.ppm');
  await qemu.qmp.execute('screendump', { filename: file });
  return readScreen(file);
};

const since = (t0: number) => Math.round(performance.now() - t0);

const probe = (t: ExecutionContext, port: number) => {
  const p = new SpiceProbe(['--port', String(port)]);
  t.teardown(() => p.kill());
  return p;
};

/** The next probe event matching `match` after the `from`th. */
async function nextEvent(
  p: SpiceProbe,
  from: number,
  match: (e: ProbeEvent) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<ProbeEvent> {
  return p.waitFor((e) => p.events.indexOf(e) >= from && match(e), what, timeoutMs);
}

qemuTest('SeaBIOS on QEMU -display dbus: spicy-screenshot shows exactly what QMP screendump shows', async (t) => {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const c = await companion(t, bus);
  // A client waits on the companion before QEMU exists: it gets the display when QEMU comes.
  const p = probe(t, c.port);
  await p.waitFor(
    (e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && e.channel === 'display',
    'display channel open',
  );
  const t0 = performance.now();
  const qemu = await seabios(bus);
  t.teardown(() => qemu.stop());
  const spawned = since(t0);
  await p.waitFor((e) => e.event === 'primary-create', 'a primary surface');
  const firstFrame = since(t0);
  await qemu.qmp.execute('cont');
  await p.waitFor((e) => e.event === 'primary-create' && e.width === 720 && e.height === 400, 'the BIOS text mode (720x400)');
  const textMode = since(t0);
  t.log(`QEMU start → QMP up ${spawned} ms, → first frame at the client ${firstFrame} ms, → BIOS text mode surface ${textMode} ms`);

  const match = await clientMatchesGuest(screendump(qemu, bus.dir), () => spicyScreenshot(c.port, bus.dir));
  t.deepEqual([match.screen.width, match.screen.height], [720, 400]);
  t.log(`spicy-screenshot = screendump (720x400) at attempt ${match.attempts}`);
  const stats = await c.stats();
  t.true(stats.attached);
  t.is(stats.attachments, 1);
  t.log(
    `bridge: ${stats.display.scanouts} Scanout, ${stats.display.updates} Updates, latency p50 ${stats.display.latencyUs.p50} µs p99 ${stats.display.latencyUs.p99} µs`,
  );
});

qemuTest(
  'QEMU restarts on the same bus: the display is disabled meanwhile, then the companion reattaches and shows the new QEMU exactly',
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const c = await companion(t, bus);
    const first = await seabios(bus);
    t.teardown(() => first.stop());
    await first.qmp.execute('cont');
    const p = probe(t, c.port);
    await p.waitFor((e) => e.event === 'primary-create' && e.width === 720, 'the first QEMU in text mode');

    const gone = p.events.length;
    first.stop();
    await nextEvent(p, gone, (e) => e.event === 'primary-destroy', 'the display disabled when QEMU went', 10_000);
    t.false((await c.stats()).attached);

    const back = p.events.length;
    const t0 = performance.now();
    const second = await seabios(bus);
    t.teardown(() => second.stop());
    await nextEvent(p, back, (e) => e.event === 'primary-create', 'a surface from the second QEMU');
    t.log(`second QEMU start → its first frame at the still-connected client: ${since(t0)} ms`);
    t.is(p.events.filter((e) => e.event === 'disconnected').length, 0, 'the client stayed connected throughout');
    // The server takes one client at a time: spicy-screenshot would replace the probe.
    t.is(await p.quit(), 0);
    await second.qmp.execute('cont');
    const dump = screendump(second, bus.dir);
    await eventually('the second QEMU in text mode', async () => (await dump()).width === 720, 20_000);
    const match = await clientMatchesGuest(dump, () => spicyScreenshot(c.port, bus.dir));
    t.deepEqual([match.screen.width, match.screen.height], [720, 400]);
    const stats = await c.stats();
    t.is(stats.attachments, 2);
    t.true(stats.attached);
  },
);

/** The test guest on the companion's bus, booted and drawing. */
async function guestOnBus(t: ExecutionContext, bus: PrivateBus, options: Omit<Parameters<typeof Guest.start>[0], 'image' | 'display'>) {
  const guest = await Guest.start({ ...options, image: await guestImage(), display: ['-display', `dbus,addr=${bus.address}`] });
  t.teardown(() => guest.stop());
  return guest;
}

/** Lets the guest's text workload scroll for `ms`, then reads the bridge's latency over that time. */
async function textLatency(t: ExecutionContext, guest: Guest, stats: (reset?: boolean) => Promise<BridgeStats>, ms: number, what: string) {
  const from = guest.mark();
  guest.sendSerial('workload text');
  await guest.waitForLine(/GUEST-READY workload=text/, { from });
  const before = await stats(true);
  await new Promise((r) => setTimeout(r, ms));
  const after = await stats(true);
  const updates = after.display.updates - before.display.updates;
  const scanouts = after.display.scanouts - before.display.scanouts;
  const l = after.display.latencyUs;
  t.log(
    `${what}, text workload for ${ms} ms: ${scanouts} Scanouts + ${updates} Updates (${Math.round(((scanouts + updates) * 1000) / ms)}/s); ` +
      `bridge latency received → DRAW_COPY pushed p50 ${l.p50} µs, p99 ${l.p99} µs, max ${l.max} µs (n=${l.count}); device full ${after.display.deferred} times so far`,
  );
  t.true(l.count > 0, 'the text workload produced updates');
}

qemuTest(
  'the test guest on std VGA: the client shows its frame exactly; keys, buttons, wheel and motion typed in spice-gtk reach the guest',
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const c = await companion(t, bus);
    const guest = await guestOnBus(t, bus, { workload: 'idle', vga: 'std' });
    t.deepEqual(await guest.waitReady(), { workload: 'idle', width: 1280, height: 800 });
    const match = await clientMatchesGuest(
      () => guest.screendump(),
      () => spicyScreenshot(c.port, guest.dir),
    );
    t.deepEqual([match.screen.width, match.screen.height], [1280, 800]);
    t.false((await c.stats()).absolute, 'a PS/2 mouse only: QEMU takes relative motion');

    const p = probe(t, c.port);
    await p.waitFor(
      (e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && e.channel === 'inputs',
      'inputs channel open',
    );
    const typed = async (cmd: Record<string, unknown>, ...lines: RegExp[]) => {
      const from = guest.mark();
      await p.command(cmd);
      for (const line of lines) await guest.waitForLine(line, { from, timeoutMs: 15_000 });
    };
    await typed({ cmd: 'key-press-release', scancode: 0x1e }, /^KEY 30 1$/, /^KEY 30 0$/); // A
    await typed({ cmd: 'key-press-release', scancode: 0x148 }, /^KEY 103 1$/, /^KEY 103 0$/); // Up (E0 48)
    await typed({ cmd: 'key-press-release', scancode: 0x11d }, /^KEY 97 1$/, /^KEY 97 0$/); // Right Ctrl (E0 1D)
    await typed({ cmd: 'button-press', button: 1, buttons: 1 }, /^BTN 272 1$/); // left
    await typed({ cmd: 'button-release', button: 1, buttons: 0 }, /^BTN 272 0$/);
    await typed({ cmd: 'button-press', button: 3, buttons: 4 }, /^BTN 273 1$/); // right
    await typed({ cmd: 'button-release', button: 3, buttons: 0 }, /^BTN 273 0$/);
    await typed({ cmd: 'button-press', button: 2, buttons: 2 }, /^BTN 274 1$/); // middle
    await typed({ cmd: 'button-release', button: 2, buttons: 0 }, /^BTN 274 0$/);
    await typed({ cmd: 'button-press', button: 4, buttons: 0 }, /^REL wheel 1$/); // wheel up: one step
    await p.command({ cmd: 'button-release', button: 4, buttons: 0 });
    await typed({ cmd: 'button-press', button: 5, buttons: 0 }, /^REL wheel -1$/);
    await p.command({ cmd: 'button-release', button: 5, buttons: 0 });
    await typed({ cmd: 'motion', dx: 7, dy: 3, buttons: 0 }, /^REL x 7$/, /^REL y 3$/);
    // Lock keys both ways: the client's Caps Lock is pressed in the guest, and the guest's LED comes back.
    await typed({ cmd: 'key-locks', locks: 4 }, /^KEY 58 1$/, /^KEY 58 0$/);
    await p.waitFor((e) => e.event === 'inputs-modifiers' && ((e.modifiers as number) & 4) !== 0, 'the Caps Lock LED at the client');
    // std VGA refuses SetUIInfo: the companion's agent, served until a first layout tells, is withdrawn at the refusal.
    await p.waitFor((e) => e.event === 'agent-update' && e.connected === true, "the companion's agent (layouts untried)", 60_000);
    const asked = p.events.length;
    await p.command({ cmd: 'monitor-config', monitors: [{ id: 0, width: 800, height: 600 }] });
    await nextEvent(p, asked, (e) => e.event === 'agent-update' && e.connected === false, 'the agent withdrawn after the refusal');
    t.is((await c.stats()).uiInfo, 0, 'no layout taken');
    // With a client: while none watches, the bridge pushes nothing (its damage waits).
    await textLatency(t, guest, c.stats, 5_000, 'std VGA (bochs-drm fbdev) 1280x800');
    t.is(await p.quit(), 0);
  },
);

qemuTest('the test guest on virtio-vga with a tablet: client mouse mode, absolute positions, the hardware cursor', async (t) => {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const c = await companion(t, bus);
  const guest = await guestOnBus(t, bus, {
    workload: 'input',
    vga: 'virtio',
    kernelArgs: ['draw=drm'],
    qemuArgs: ['-device', 'virtio-tablet-pci'],
  });
  const ready = await guest.waitReady();
  await guest.waitForLine(/GUEST-CURSOR/);
  const p = probe(t, c.port);
  // QEMU reports IsAbsolute once the guest drives the tablet; spice-gtk then asks for client mode.
  await p.waitFor((e) => e.event === 'mouse-mode' && e.mode === 'client', 'client mouse mode', 20_000);
  t.true((await c.stats()).absolute);
  const shape = await p.waitFor((e) => e.event === 'cursor-set', 'the guest cursor');
  t.like(shape, { width: 64, height: 64, hotX: 0, hotY: 0 });

  const from = guest.mark();
  const [x, y] = [ready.width >> 1, ready.height >> 2];
  // The first position may reach the bridge before it has QEMU's answer to IsAbsolute and the
  // console size (the mode switch races them): it is sent again until the guest has one.
  const absolute = guest.waitForLine(/^ABS x (\d+)$/, { from });
  for (let i = 0; i < 20 && !(await Promise.race([absolute.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))])); i++) {
    await p.command({ cmd: 'position', x, y, buttons: 0 });
  }
  const absX = Number((await absolute)[1]);
  const absY = Number((await guest.waitForLine(/^ABS y (\d+)$/, { from }))[1]);
  // QEMU scales console pixels to 0..0x7fff.
  t.true(Math.abs(absX - (x * 0x7fff) / ready.width) < 0x7fff / 100, `ABS x ${absX} for ${x}`);
  t.true(Math.abs(absY - (y * 0x7fff) / ready.height) < 0x7fff / 100, `ABS y ${absY} for ${y}`);
  // The guest moves its cursor plane to the pointer: QEMU's MouseSet comes back as a cursor move
  // (waited for before the next position: cursor moves merge latest-wins on a busy link).
  await p.waitFor(
    (e) => e.event === 'cursor-move' && Math.abs((e.x as number) - x) <= 1 && Math.abs((e.y as number) - y) <= 1,
    'the cursor at the pointer',
  );
  // Off the screen's edge: clamped to it, never refused.
  const edge = guest.mark();
  await p.command({ cmd: 'position', x: ready.width + 50, y: 0, buttons: 0 });
  t.true(Number((await guest.waitForLine(/^ABS x (\d+)$/, { from: edge }))[1]) > 0x7fff * 0.99);
  await textLatency(t, guest, c.stats, 5_000, `virtio-vga (DRM) ${ready.width}x${ready.height}`);
  t.is(await p.quit(), 0);
});

/** A scratch directory, removed after the test. */
const scratch = (t: ExecutionContext): string => {
  const dir = mkdtempSync(join(tmpdir(), 'spice-qemu-p2p-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** The companion with `flags`, its bridge's figures, and the host spec it was started with. */
async function companionWith(t: ExecutionContext, flags: readonly string[]) {
  const server = await startConfiguredServer(['--disable-ticketing', ...flags]);
  t.teardown(() => server.stop());
  const bridge = server.companion.host as unknown as ActorRef<QemuBridgeContract>;
  const stats = (reset = false): Promise<BridgeStats> => bridge.link.ask({ kind: 'stats', reset });
  return { port: server.port, stats, hostSpec: server.hostSpec, stop: () => server.stop() };
}

qemuTest(
  'p2p mode (--qemu-qmp): the link handed over by QMP getfd + add_client shows exactly what screendump shows; a restarted QEMU is attached again',
  async (t) => {
    const dir = scratch(t);
    // QEMU serves one client per QMP socket: the companion gets its own, the test keeps qmp.sock.
    const bridgeQmp = join(dir, 'bridge-qmp.sock');
    const seabiosP2p = () => startBiosQemu(dir, 'dbus,p2p=yes', ['-m', '128', '-qmp', `unix:${bridgeQmp},server=on,wait=off`]);
    const c = await companionWith(t, ['--qemu-qmp', bridgeQmp]);
    const first = await seabiosP2p();
    t.teardown(() => first.stop());
    await first.qmp.execute('cont');
    const dump = screendump(first, dir);
    await eventually('the BIOS text mode', async () => (await dump()).width === 720, 20_000);
    const match = await clientMatchesGuest(dump, () => spicyScreenshot(c.port, dir));
    t.deepEqual([match.screen.width, match.screen.height], [720, 400]);
    t.like(await c.stats(), { attached: true, attachments: 1 });

    const p = probe(t, c.port);
    await p.waitFor((e) => e.event === 'primary-create' && e.width === 720, 'the first QEMU in text mode');
    const gone = p.events.length;
    await first.stop();
    await nextEvent(p, gone, (e) => e.event === 'primary-destroy', 'the display disabled when QEMU went', 10_000);
    t.false((await c.stats()).attached);
    const back = p.events.length;
    const second = await seabiosP2p();
    t.teardown(() => second.stop());
    await nextEvent(p, back, (e) => e.event === 'primary-create', 'a surface from the second QEMU');
    t.like(await c.stats(), { attached: true, attachments: 2 });
  },
);

qemuTest(
  '--qemu -- ARGS: the companion launches QEMU (display on a private bus, private QMP), serves its SeaBIOS screen exactly, keeps serving when QEMU exits, and stops QEMU when it stops',
  async (t) => {
    const dir = scratch(t);
    const launch = async () => {
      const c = await companionWith(t, ['--qemu', '--', '-accel', 'tcg', '-m', '128', '-nodefaults', '-vga', 'std']);
      const launcher = c.hostSpec?.process;
      if (!(launcher instanceof QemuLauncher)) throw new Error('no QEMU launcher in the host spec');
      return { ...c, launcher };
    };
    const c = await launch();
    const pid = c.launcher.pid;
    t.true(pid !== undefined && alive(pid), 'QEMU runs');
    await eventually('attached to the launched QEMU', async () => (await c.stats()).attached, 20_000);
    // The bridge is on the private bus, not QMP: the QMP socket is free for screendumps.
    const qmp = await Qmp.connect(c.launcher.qmpPath);
    t.teardown(() => qmp.close());
    const dump = async () => {
      const file = join(dir, 'dump.ppm');
      await qmp.execute('screendump', { filename: file });
      return readScreen(file);
    };
    await eventually('the BIOS text mode', async () => (await dump()).width === 720, 20_000);
    const match = await clientMatchesGuest(dump, () => spicyScreenshot(c.port, dir));
    t.deepEqual([match.screen.width, match.screen.height], [720, 400]);

    // QEMU goes on its own: the companion stays up with the display disabled.
    const p = probe(t, c.port);
    await p.waitFor((e) => e.event === 'primary-create' && e.width === 720, 'the launched QEMU in text mode');
    const gone = p.events.length;
    qmp.quit();
    await nextEvent(p, gone, (e) => e.event === 'primary-destroy', 'the display disabled when QEMU quit', 10_000);
    await eventually('the launcher saw QEMU exit', () => c.launcher.pid === undefined && !alive(pid!), 10_000);
    t.false((await c.stats()).attached);
    t.is(p.events.filter((e) => e.event === 'disconnected').length, 0, 'the client stayed connected');
    t.is(await p.quit(), 0);

    // A second companion's QEMU ends with the companion.
    const d = await launch();
    const pid2 = d.launcher.pid!;
    await eventually('attached to the second launched QEMU', async () => (await d.stats()).attached, 20_000);
    await d.stop();
    t.false(alive(pid2), 'QEMU has exited');
    t.false(existsSync(d.launcher.dir), 'the private directory is removed');
  },
);

qemuTest(
  "the VM's -name and -uuid reach spice-gtk as the session's name and UUID (the window title), from QEMU through the bridge",
  async (t) => {
    const uuid = '6f1c2a9e-3b4d-4c5e-8f60-718293a4b5c6';
    const c = await companionWith(t, [
      '--qemu',
      '--',
      '-accel',
      'tcg',
      '-m',
      '64',
      '-nodefaults',
      '-vga',
      'std',
      '-S',
      '-name',
      'vm-under-test',
      '-uuid',
      uuid,
    ]);
    const p = probe(t, c.port);
    await p.waitFor((e) => e.event === 'session-name' && e.name === 'vm-under-test', 'the VM name at the client', 20_000);
    await p.waitFor((e) => e.event === 'session-uuid' && e.uuid === uuid.replace(/-/g, ''), 'the VM UUID at the client');
    t.is(await p.quit(), 0);
  },
);

qemuTest("--qemu -- ARGS that QEMU refuses: the companion exits with code 1 and QEMU's own message", async (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--disable-ticketing', '--qemu', '--', '-this-is-not-an-option'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.is(r.status, 1);
  t.regex(
    r.stderr,
    /^spice-companion: QEMU exited at start \(exit code 1\): qemu-system-x86_64: -this-is-not-an-option: invalid option\n$/,
  );
});

/** Whether a process with this id exists (an exited child is reaped by the time its exit event fired). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

qemuTest('the guest changes resolution and the client follows: a new primary surface of the new size, shown exactly', async (t) => {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const c = await companion(t, bus);
  const guest = await guestOnBus(t, bus, { workload: 'idle', vga: 'virtio', kernelArgs: ['draw=drm'] });
  const ready = await guest.waitReady();
  const p = probe(t, c.port);
  await p.waitFor(
    (e) => e.event === 'primary-create' && e.width === ready.width && e.height === ready.height,
    `the ${ready.width}x${ready.height} surface`,
  );
  const from = p.events.length;
  guest.sendSerial('mode 800x600');
  await guest.waitForLine(/^GUEST-MODE 800x600$/);
  await nextEvent(p, from, (e) => e.event === 'primary-create' && e.width === 800 && e.height === 600, 'the 800x600 surface at the client');
  t.is(await p.quit(), 0);
  const match = await clientMatchesGuest(
    () => guest.screendump(),
    () => spicyScreenshot(c.port, guest.dir),
  );
  t.deepEqual([match.screen.width, match.screen.height], [800, 600]);
});

/** What the probe's spice-gtk shows on display `display`, as a bitmap. */
async function probeScreen(p: SpiceProbe, dir: string, display = 0) {
  const path = join(dir, `probe-${display}-${Date.now()}.ppm`);
  await p.command({ cmd: 'screenshot', path, display });
  try {
    return readScreen(path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** Head `head` of the guest's virtio-vga (video0), through QMP screendump. */
const headDump = (guest: Guest, head: number) => async () => {
  const file = join(guest.dir, `head-${head}.ppm`);
  await dumpHead(guest.qmp, file, 'video0', head);
  return readScreen(file);
};

qemuTest(
  'client-driven resolution: spice-gtk asks its agent for 800x600, the companion passes it to SetUIInfo, the guest follows and the client gets the new surface, exactly; undone when the client leaves',
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const c = await companion(t, bus);
    const guest = await guestOnBus(t, bus, { workload: 'idle', vga: 'virtio', kernelArgs: ['draw=drm', 'mode=follow'] });
    const ready = await guest.waitReady();
    const p = probe(t, c.port);
    // The companion announces an agent in INIT; spice-gtk starts it and learns its caps.
    await p.waitFor(
      (e) => e.event === 'agent-update' && e.connected === true && ((e.caps0 as number) & (1 << AgentCap.monitorsConfig)) !== 0,
      'the agent with the monitors-config cap',
    );
    await p.waitFor(
      (e) => e.event === 'primary-create' && e.width === ready.width && e.height === ready.height,
      `the ${ready.width}x${ready.height} surface`,
    );
    const from = p.events.length;
    const line = guest.mark();
    await p.command({ cmd: 'monitor-config', monitors: [{ id: 0, width: 800, height: 600 }] });
    await guest.waitForLine(/^GUEST-MODE 800x600$/, { from: line });
    await nextEvent(
      p,
      from,
      (e) => e.event === 'primary-create' && e.width === 800 && e.height === 600,
      'the 800x600 surface at the client',
    );
    const match = await clientMatchesGuest(
      () => guest.screendump(),
      () => probeScreen(p, guest.dir),
    );
    t.deepEqual([match.screen.width, match.screen.height], [800, 600]);
    t.is((await c.stats()).uiInfo, 1);
    t.is(p.events.filter((e) => e.event === 'disconnected').length, 0);
    // The client leaves: its layout goes with it, the guest back at its size from before (as with QEMU's own spice).
    const left = guest.mark();
    t.is(await p.quit(), 0);
    await guest.waitForLine(new RegExp(`^GUEST-MODE ${ready.width}x${ready.height}$`), { from: left });
  },
);

qemuTest(
  'two consoles (virtio-vga max_outputs=2): spice-gtk gets two display channels, each showing its own head exactly; a two-monitor layout goes to each console',
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const c = await companion(t, bus);
    const guest = await guestOnBus(t, bus, { workload: 'idle', vga: 'virtio', outputs: 2, kernelArgs: ['draw=drm', 'mode=follow'] });
    const ready = await guest.waitReady();
    const p = probe(t, c.port);
    await p.waitFor((e) => e.event === 'primary-create' && e.id === 0 && e.width === ready.width, 'display 0 at the guest size');
    await p.waitFor((e) => e.event === 'primary-create' && e.id === 1, 'display 1');
    t.deepEqual(
      p
        .opened()
        .filter((ch) => ch.startsWith('display'))
        .sort(),
      ['display:0', 'display:1'],
    );
    for (const head of [0, 1]) {
      const match = await clientMatchesGuest(headDump(guest, head), () => probeScreen(p, guest.dir, head));
      t.log(`display ${head}: ${match.screen.width}x${match.screen.height} = screendump head ${head} (attempt ${match.attempts})`);
    }
    const [zero, one] = [await headDump(guest, 0)(), await headDump(guest, 1)()];
    t.notDeepEqual(zero.pixels, one.pixels, 'two different pictures');
    t.deepEqual(Object.keys((await c.stats()).displays), ['0', '1']);

    // Monitor N to console N: the guest draws on head 0 and follows its size (not the second monitor's).
    await p.waitFor(
      (e) => e.event === 'agent-update' && e.connected === true && ((e.caps0 as number) & (1 << AgentCap.monitorsConfig)) !== 0,
      'the agent',
    );
    const line = guest.mark();
    const from = p.events.length;
    await p.command({
      cmd: 'monitor-config',
      monitors: [
        { id: 0, width: 800, height: 600 },
        { id: 1, x: 800, width: 1024, height: 768 },
      ],
    });
    await guest.waitForLine(/^GUEST-MODE 800x600$/, { from: line });
    await nextEvent(
      p,
      from,
      (e) => e.event === 'primary-create' && e.id === 0 && e.width === 800 && e.height === 600,
      'the 800x600 surface on display 0',
    );
    await eventually('both consoles took their monitor', async () => (await c.stats()).uiInfo === 2, 10_000);
    const match = await clientMatchesGuest(headDump(guest, 0), () => probeScreen(p, guest.dir, 0));
    t.deepEqual([match.screen.width, match.screen.height], [800, 600]);
    t.is(await p.quit(), 0);
  },
);

qemuTest("the metrics endpoint moves while spice-gtk watches the test guest's desktop workload", async (t) => {
  const bus = await startBus();
  t.teardown(() => bus.stop());
  const server = await startConfiguredServer(['--disable-ticketing', '--qemu-dbus', bus.address, '--metrics-addr', '127.0.0.1:0']);
  t.teardown(() => server.stop());
  const guest = await guestOnBus(t, bus, { workload: 'desktop', vga: 'virtio', kernelArgs: ['draw=drm'] });
  await guest.waitReady();
  const p = probe(t, server.port);
  await p.waitFor(
    (e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && e.channel === 'display',
    'display channel open',
  );
  const scrape = async () => (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
  await new Promise((r) => setTimeout(r, 1000));
  const before = await scrape();
  await new Promise((r) => setTimeout(r, 2000));
  const after = await scrape();
  const moved = ['spice_channel_sent_bytes_total{actor="display-0"}', 'spice_display_drawings_sent_total{actor="red-worker-0"}'].map(
    (name) => {
      const [a, b] = [seriesValue(before, name), seriesValue(after, name)];
      t.true(b > a, `${name}: ${a} -> ${b}`);
      return `${name} ${a} -> ${b}`;
    },
  );
  t.is(seriesValue(after, 'spice_clients{actor="server"}'), 1);
  t.log(`2 s of the desktop workload: ${moved.join('; ')}`);
  t.is(await p.quit(), 0);
});
