/**
 * "Never shrinking a guest that cannot follow": the companion's own answer to a client layout
 * (SetUIInfo, with no guest agent) watched against what the guest then scans out.
 */
import test, { type ExecutionContext } from 'ava';
import { haveQemu } from '../../guest/qemu.js';
import { buildGuest, Guest, type GuestImage, type Ready } from '../../guest/guest.js';
import type { Size } from '../../actors/hosts/qemu-bridge/layout-guard.js';
import { companionOnBus } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';
import { SpiceProbe } from '../helpers/spice-probe.js';
import { AgentCap } from '../../codecs/protocol/agent.js';

const qemuTest = haveQemu() ? test.serial : test.skip;
let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

const agentSeen = (p: SpiceProbe) =>
  p.waitFor(
    (e) => e.event === 'agent-update' && e.connected === true && ((e.caps0 as number) & (1 << AgentCap.monitorsConfig)) !== 0,
    "the companion's agent",
    60_000,
  );

/** The test guest's idle workload on virtio-vga, booted with a companion attached to its bus. */
async function bootedBeside(t: ExecutionContext, kernelArgs: readonly string[] = []) {
  const companion = await companionOnBus(t);
  const guest = await Guest.start({
    image: await guestImage(),
    workload: 'idle',
    vga: 'virtio',
    kernelArgs,
    display: ['-display', `dbus,addr=${companion.bus.address}`],
  });
  t.teardown(() => guest.stop());
  return { ...companion, guest, ready: await guest.waitReady() };
}

/**
 * An fbdev guest (it draws its framebuffer and never follows a mode change) on virtio-vga at
 * `kernelArgs`' size shown a client layout `smaller` than that: its console is cropped for a
 * moment, then put back, and the same size is not asked again.
 */
async function cropped(
  t: ExecutionContext,
  kernelArgs: readonly string[],
  smaller: (ready: Ready) => Size,
): Promise<{ p: SpiceProbe; guest: Guest; ready: Ready }> {
  const { server, stats, guest, ready } = await bootedBeside(t, kernelArgs);
  const p = new SpiceProbe(['--port', String(server.port)]);
  t.teardown(() => p.kill());
  await agentSeen(p);
  const asked = smaller(ready);
  await p.command({ cmd: 'monitor-config', monitors: [{ id: 0, ...asked }] });
  // The guest's console is cropped to the size asked for a moment, then put back.
  const dumps: string[] = [];
  const deadline = Date.now() + 30_000;
  let back = false;
  // The crop may last less than a screendump's period, and a loaded pipe may collapse it before
  // spice-gtk draws it: the guard's own count of what it put back tells it then.
  let putBack = 0;
  const sawCrop = () =>
    putBack > 0 ||
    dumps.includes(`${asked.width}x${asked.height}`) ||
    p.events.some((e) => e.event === 'primary-create' && e.width === asked.width && e.height === asked.height);
  while (Date.now() < deadline && !back) {
    const d = await guest.screendump();
    if (dumps.at(-1) !== `${d.width}x${d.height}`) dumps.push(`${d.width}x${d.height}`);
    putBack = (await stats()).layoutsPutBack;
    back = d.width === ready.width && d.height === ready.height && sawCrop();
    await new Promise((r) => setTimeout(r, 200));
  }
  const surfaces = p.events.filter((e) => e.event === 'primary-create').map((e) => `${String(e.width)}x${String(e.height)}`);
  t.log(
    `guest console: ${ready.width}x${ready.height} then ${dumps.join(' then ')}; spice-gtk's surfaces: ${surfaces.join(', ')}; layouts put back: ${putBack}`,
  );
  t.true(sawCrop(), 'the crop happened (what the guard is for)');
  t.true(back, 'the size from before is back');
  const taken = (await stats()).uiInfo;
  // The same size again: not passed to QEMU; the console stays whole.
  await p.command({ cmd: 'monitor-config', monitors: [{ id: 0, ...asked }] });
  await new Promise((r) => setTimeout(r, 3000));
  const d = await guest.screendump();
  t.deepEqual([d.width, d.height], [ready.width, ready.height]);
  t.is((await stats()).uiInfo, taken, 'no SetUIInfo for the size the guest could not follow');
  return { p, guest, ready };
}

/** The virtio-gpu device's own preferred size (QEMU's xres/yres): what a guest on it boots at. */
const deviceSize = { width: 1280, height: 800 };

qemuTest(
  'a virtio-vga guest booted with the companion attached and no client keeps its own size: no SetUIInfo without a client layout',
  async (t) => {
    const { stats, guest, ready } = await bootedBeside(t);
    t.deepEqual([ready.width, ready.height], [deviceSize.width, deviceSize.height], "the guest came up at the device's size");
    // Long enough for a SetUIInfo's hotplug event to reach fbdev (the guard's answer time).
    await new Promise((r) => setTimeout(r, 5000));
    const d = await guest.screendump();
    t.deepEqual([d.width, d.height], [deviceSize.width, deviceSize.height], 'and stays there');
    const s = await stats();
    t.true(s.attached);
    t.is(s.uiInfo, 0, 'QEMU was asked nothing');
  },
);

qemuTest(
  'an fbdev guest on virtio-vga shown a smaller client layout: its console cropped, so the companion puts its size back and does not ask for that size again',
  async (t) => {
    const { p } = await cropped(t, [], (ready) => ({ width: ready.width - 40, height: ready.height - 80 }));
    // This VM has no chardevs: no spicevmc channel is listed.
    const tunnels = p.events.filter(
      (e) => e.event === 'channel-new' && ['usbredir', 'port', 'webdav', 'smartcard'].includes(String(e.channel)),
    );
    t.deepEqual(tunnels, [], 'no spicevmc channel without its chardev');
    t.is(await p.quit(), 0);
  },
);

qemuTest(
  "issue 14's case: spice-gtk asks 1280x768 of an fbdev guest on virtio-vga at 1280x800 (booted under the companion): the height-only crop is put back, and the guest is at its own size after the client leaves",
  async (t) => {
    const { p, guest, ready } = await cropped(t, [], (r) => ({ width: r.width, height: r.height - 32 }));
    t.deepEqual([ready.width, ready.height], [deviceSize.width, deviceSize.height]);
    t.is(await p.quit(), 0);
    const atOwnSize = async () => {
      const d = await guest.screendump();
      return d.width === ready.width && d.height === ready.height;
    };
    await eventually(`the guest at its own ${ready.width}x${ready.height} after the client left`, atOwnSize, 10_000, 500);
  },
);
