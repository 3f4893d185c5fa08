import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writePpm } from '../../codecs/image/ppm.js';
import { stillFrame } from '../../actors/hosts/demo-host/scene.js';
import { startConfiguredServer } from '../helpers/server.js';

const run = promisify(execFile);

// spice-gtk's spicy-screenshot against `--demo still`: what the real client draws must be the
// frame `--dump-frame` writes, byte for byte, whatever the lossless compression. spicy-screenshot
// saves the first drawing it gets: a client's first picture is one image, however large, as
// spice-server sends it (later large updates go in bands: bands.test.ts).

const cases: Array<[compression: string, size: string]> = [
  ['off', '1024x768'],
  ['lz', '1024x768'],
  ['quic', '1024x768'],
  ['auto_lz', '1024x768'],
  ['quic', '801x599'],
  ['lz', '801x599'],
  ['auto_lz', '1920x1080'],
  ['lz4', '1024x768'],
  ['lz4', '801x599'],
];

for (const [compression, size] of cases) {
  test(`spicy-screenshot gets exactly the still frame with image-compression ${compression} at ${size}`, async (t) => {
    const s = await startConfiguredServer([
      '--disable-ticketing',
      '--demo',
      'still',
      '--demo-size',
      size,
      '--image-compression',
      compression,
    ]);
    t.teardown(() => s.stop());
    const out = join(mkdtempSync(join(tmpdir(), 'spicy-shot-')), 'shot.ppm');
    await run('spicy-screenshot', ['-h', '127.0.0.1', '-p', String(s.port), '-o', out], { timeout: 60_000 });
    const [w, h] = size.split('x').map(Number) as [number, number];
    const expected = Buffer.from(writePpm(stillFrame(w, h)));
    const got = readFileSync(out);
    t.is(got.length, expected.length, 'same size');
    t.true(got.equals(expected), 'identical pixels');
  });
}
