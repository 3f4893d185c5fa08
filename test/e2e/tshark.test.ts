import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moved } from '../../runtime/envelope.js';
import { startTestServer } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

// Wireshark's SPICE dissector as a second opinion on every byte the server sends and takes:
// a capture of a spice-gtk session must hold no malformed SPICE packet.

test('tshark dissects a whole spice-gtk session (link, main, inputs, cursor) without a malformed packet', async (t) => {
  const s = await startTestServer(['--password', 'pcap']);
  t.teardown(() => s.stop());
  const file = join(mkdtempSync(join(tmpdir(), 'spice-pcap-')), 'session.pcapng');
  const capture = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${s.port}`, '-w', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => capture.kill('SIGKILL'));
  let captureLog = '';
  capture.stderr.on('data', (d: Buffer) => (captureLog += d.toString()));
  const started = Date.now();
  while (!captureLog.includes('Capturing on')) {
    if (Date.now() - started > 20_000 || capture.exitCode !== null) throw new Error(`tshark did not start: ${captureLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const p = new SpiceProbe(['--port', String(s.port), '--password', 'pcap']);
  t.teardown(() => p.kill());
  await p.waitFor((e) => e.event === 'channel-event' && e.channel === 'inputs' && e.name === 'SPICE_CHANNEL_OPENED', 'inputs opened');
  await p.waitFor((e) => e.event === 'channel-event' && e.channel === 'cursor' && e.name === 'SPICE_CHANNEL_OPENED', 'cursor opened');
  const shape = {
    unique: 5n,
    type: 'alpha' as const,
    width: 8,
    height: 8,
    hotX: 0,
    hotY: 0,
    data: moved(new Uint8Array(8 * 8 * 4).fill(200)),
  };
  void s.host.link.send({ kind: 'cursor', event: { kind: 'cursor-set', shape, x: 3, y: 4, visible: true } });
  await p.waitFor((e) => e.event === 'cursor-set', 'spice-gtk got the cursor shape');
  void s.host.link.send({ kind: 'cursor', event: { kind: 'cursor-move', x: 30, y: 40 } });
  void s.host.link.send({ kind: 'leds', modifiers: 2 });
  await p.command({ cmd: 'key-press-release', scancode: 0x1e });
  for (let i = 0; i < 6; i++) await p.command({ cmd: 'motion', dx: 1, dy: 1, buttons: 0 });
  await p.command({ cmd: 'button-press', button: 3, buttons: 0 });
  await p.command({ cmd: 'button-release', button: 3, buttons: 4 });
  await new Promise((r) => setTimeout(r, 300));
  t.is(await p.quit(), 0);
  await new Promise((r) => setTimeout(r, 300));
  capture.kill('SIGINT');
  await new Promise((r) => capture.once('exit', r));
  const read = (filter: string) =>
    execFileSync('tshark', ['-r', file, '-d', `tcp.port==${s.port},spice`, '-Y', filter], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter((l) => l.trim());
  const spice = read('spice');
  for (const what of [
    'Server INIT',
    'CHANNELS_LIST',
    'Client PONG',
    'Server SET_ACK',
    'Client KEY_SCANCODE',
    'MOUSE_MOTION_ACK',
    'Server SET',
  ]) {
    t.true(
      spice.some((l) => l.includes(what)),
      `the capture shows ${what}`,
    );
  }
  t.deepEqual(read('_ws.malformed || _ws.expert.severity == error'), [], 'no malformed SPICE packet');
});
