import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stillFrame } from '../../actors/hosts/demo-host/scene.js';
import { writePpm } from '../../codecs/image/ppm.js';
import { startDisplayTestServer } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

// spice-gtk judges the bands: a 1080p full-screen update reaches it as 8 DRAW_COPYs (8
// invalidates of 135 rows), compressed on both pool threads, and what it then shows is the frame,
// byte for byte.
for (const compression of ['auto_lz', 'quic', 'lz']) {
  test.serial(`spice-gtk draws a 1080p update sent as 8 bands exactly (${compression})`, async (t) => {
    const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', compression, '--compressor-threads', '2'], {
      width: 1920,
      height: 1080,
    });
    t.teardown(() => s.stop());
    const p = new SpiceProbe(['--port', String(s.port)]);
    t.teardown(() => p.kill());
    await p.waitFor((e) => e.event === 'mark' && e.id === 0, 'the first picture', 60_000);
    const from = p.events.length;
    await s.host.link.ask({ kind: 'frames', count: 1, first: 0, still: true });
    const bands = () => p.events.slice(from).filter((e) => e.event === 'invalidate' && e.id === 0);
    await p.waitFor(() => bands().length >= 8, '8 bands drawn', 60_000);
    t.deepEqual(
      bands().map((e) => [e.x, e.y, e.w, e.h]),
      Array.from({ length: 8 }, (_, i) => [0, i * 135, 1920, 135]),
    );
    const dir = mkdtempSync(join(tmpdir(), 'bands-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'shot.ppm');
    await p.command({ cmd: 'screenshot', path, display: 0 });
    t.true(readFileSync(path).equals(Buffer.from(writePpm(stillFrame(1920, 1080)))), 'identical pixels');
    t.is(await p.quit(), 0);
  });
}
