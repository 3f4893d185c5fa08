/**
 * The guest agent relay against real ends: QEMU 7.2 with the vdagent port on `-chardev dbus`,
 * the test guest's own agent in it (guest/src/agent.h, which prints what it gets on serial), the
 * companion attached over D-Bus, and spice-gtk's GObject API as the client (test/e2e/spice-probe.py).
 */
import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveQemu } from '../../guest/qemu.js';
import { AgentCap } from '../../codecs/protocol/agent.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { companionOnBus } from '../helpers/server.js';
import { SpiceProbe, type ProbeEvent } from '../helpers/spice-probe.js';

const qemuTest = haveQemu() ? test.serial : test.skip;

let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

/** The guest's agent port as QEMU 7.2 exports it on D-Bus. */
const agentPort = [
  '-chardev',
  'dbus,id=vdagent,name=org.spice-space.vdagent.0',
  '-device',
  'virtio-serial',
  '-device',
  'virtserialport,chardev=vdagent,name=com.redhat.spice.0',
];

/** A guest with its agent, the companion (with `flags`) on its bus, and spice-gtk connected once the agent is seen. */
async function setUp(t: ExecutionContext, flags: readonly string[] = [], ready = agentWith(AgentCap.clipboardByDemand)) {
  const { bus, server } = await companionOnBus(t, flags);
  const guest = await Guest.start({
    image: await guestImage(),
    workload: 'idle',
    vga: 'std',
    display: ['-display', `dbus,addr=${bus.address}`],
    qemuArgs: agentPort,
  });
  t.teardown(() => guest.stop());
  await guest.waitForLine(/^GUEST-AGENT up/);
  const p = new SpiceProbe(['--port', String(server.port)]);
  t.teardown(() => p.kill());
  // spice-gtk offers the clipboard once it has the agent's capabilities.
  await p.waitFor(ready, 'the guest agent and its capabilities at the client', 60_000);
  return { guest, p, server };
}

/** The guest's agent at spice-gtk with capability `cap` (the clipboard's, or FILE_XFER_DISABLED, tell it from the companion's own agent). */
const agentWith = (cap: number) => (e: ProbeEvent) =>
  e.event === 'agent-update' && e.connected === true && ((e.caps0 as number) & (1 << cap)) !== 0;

const after = (p: SpiceProbe, from: number, match: (e: ProbeEvent) => boolean, what: string, timeoutMs = 60_000) =>
  p.waitFor((e) => p.events.indexOf(e) >= from && match(e), what, timeoutMs);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

qemuTest(
  'spice-gtk and the guest agent through the companion: clipboard both ways (text and 1 MiB), a 10 MiB file, agent mouse, monitor config, an agent restart, an agent actor crash',
  async (t) => {
    const { guest, p, server } = await setUp(t);
    // Client → guest: spice-gtk grabs, the guest's agent asks, the text arrives.
    let from = guest.mark();
    await p.command({ cmd: 'clipboard-grab', text: 'hello from spice-gtk' });
    await guest.waitForLine(/^GUEST-CLIPBOARD hello from spice-gtk$/, { from });
    from = guest.mark();
    const big = await p.command({ cmd: 'clipboard-grab', size: 1 << 20 });
    const bigLine = await guest.waitForLine(/^GUEST-CLIPBOARD sha256=(\w+) len=(\d+)$/, { from, timeoutMs: 120_000 });
    t.deepEqual([bigLine[1], Number(bigLine[2])], [big.sha256, 1 << 20], 'the 1 MiB clipboard reached the guest whole');

    // Guest → client.
    let at = p.events.length;
    guest.sendSerial('clipboard hello from the guest');
    const text = await after(p, at, (e) => e.event === 'clipboard', 'the guest clipboard at spice-gtk');
    t.is(text.text, 'hello from the guest');
    at = p.events.length;
    from = guest.mark();
    guest.sendSerial(`clipboard-big ${1 << 20}`);
    const grabbed = await guest.waitForLine(/^GUEST-CLIPBOARD-GRABBED sha256=(\w+) len=(\d+)$/, { from });
    const bigBack = await after(p, at, (e) => e.event === 'clipboard', 'the 1 MiB guest clipboard at spice-gtk', 120_000);
    t.deepEqual([bigBack.sha256, bigBack.size], [grabbed[1], 1 << 20]);

    // A 10 MiB file, checked by the guest's sha256.
    const dir = mkdtempSync(join(tmpdir(), 'agent-xfer-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = randomBytes(10 << 20);
    writeFileSync(join(dir, 'ten.bin'), file);
    from = guest.mark();
    at = p.events.length;
    const t0 = performance.now();
    await p.command({ cmd: 'file-copy', path: join(dir, 'ten.bin') });
    const got = await guest.waitForLine(/^GUEST-FILE (\S+) (\d+) (\w+)$/, { from, timeoutMs: 180_000 });
    t.deepEqual([got[1], Number(got[2]), got[3]], ['ten.bin', 10 << 20, sha256(file)]);
    const done = await after(p, at, (e) => e.event === 'file-copy', 'spice-gtk finishing the copy');
    t.true(done.ok, String(done.error));
    t.log(`10 MiB file to the guest agent in ${Math.round(performance.now() - t0)} ms`);

    // Agent mouse: std VGA has only a PS/2 mouse, so client mode comes from the agent.
    await p.waitFor((e) => e.event === 'mouse-mode' && e.mode === 'client', 'client mouse mode through the agent');
    from = guest.mark();
    await p.command({ cmd: 'position', x: 123, y: 45, buttons: 0 });
    await guest.waitForLine(/^GUEST-MOUSE 123 45 buttons=0 display=0$/, { from });

    // A client layout goes to the guest's agent while it runs (not to SetUIInfo).
    from = guest.mark();
    await p.command({ cmd: 'monitor-config', monitors: [{ id: 0, width: 1024, height: 768 }] });
    await guest.waitForLine(/^GUEST-MONITORS 1 1024x768\+0\+0$/, { from });

    // The guest agent restarts: the client sees it go and come back, and the clipboard works again.
    at = p.events.length;
    guest.sendSerial('agent restart');
    await after(p, at, (e) => e.event === 'agent-update' && e.connected === false, 'the agent gone at the client');
    await after(p, at, (e) => e.event === 'agent-update' && e.connected === true, 'the agent back at the client');
    // The companion's own agent stands in meanwhile (with no clipboard): grabs go to the guest's once spice-gtk has its caps again.
    from = guest.mark();
    const back = guest.waitForLine(/^GUEST-CLIPBOARD after the restart$/, { from });
    for (let i = 0; i < 30 && !(await Promise.race([back.then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))])); i++)
      await p.command({ cmd: 'clipboard-grab', text: 'after the restart' });
    await back;

    // The agent actor crashes: the supervisor restarts it, the bridge registers the port again, the client starts over.
    at = p.events.length;
    await server.companion.supervisor.ref('agent')!.worker!.terminate();
    await after(p, at, (e) => e.event === 'agent-update' && e.connected === false, 'the agent gone with its actor');
    from = guest.mark();
    const again = guest.waitForLine(/^GUEST-CLIPBOARD after the actor restart$/, { from });
    for (let i = 0; i < 30 && !(await Promise.race([again.then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))])); i++)
      await p.command({ cmd: 'clipboard-grab', text: 'after the actor restart' });
    await again;

    t.is(await p.quit(), 0);
    await guest.waitForLine(/^GUEST-AGENT client-disconnected$/);
  },
);

qemuTest('disable-copy-paste and disable-agent-file-xfer: the clipboard and files do not pass, the agent still runs', async (t) => {
  const { guest, p } = await setUp(t, ['--disable-copy-paste', '--disable-agent-file-xfer'], agentWith(AgentCap.fileXferDisabled));
  const caps = p.events.filter(agentWith(AgentCap.fileXferDisabled)).at(-1)!.caps0 as number;
  for (const cap of [AgentCap.clipboard, AgentCap.clipboardByDemand, AgentCap.clipboardSelection])
    t.is(caps & (1 << cap), 0, "the clipboard capabilities taken from the guest agent's announce");
  const dir = mkdtempSync(join(tmpdir(), 'agent-xfer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'small.bin'), randomBytes(4096));
  const at = p.events.length;
  await p.command({ cmd: 'file-copy', path: join(dir, 'small.bin') });
  const refused = await after(p, at, (e) => e.event === 'file-copy', 'spice-gtk refusing the copy');
  t.false(refused.ok);
  t.log(`spice-gtk: ${String(refused.error)}`);
  const from = guest.mark();
  await p.command({ cmd: 'clipboard-grab', text: 'must not pass' }).catch(() => undefined);
  guest.sendSerial('clipboard nor this');
  await guest.waitForLine(/^GUEST-CLIPBOARD-GRABBED/, { from });
  // Long enough for either to have crossed a working relay (they take well under a second).
  await new Promise((r) => setTimeout(r, 3000));
  t.false(
    guest.lines.slice(from).some((l) => /^GUEST-CLIPBOARD(-GRAB)? /.test(l) || l.startsWith('GUEST-FILE ')),
    'nothing of the client reached the guest',
  );
  t.false(
    p.events.slice(at).some((e) => e.event === 'clipboard-grab' || e.event === 'clipboard'),
    'nothing of the guest reached the client',
  );
  t.is(await p.quit(), 0);
});
