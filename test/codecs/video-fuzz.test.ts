import test from 'ava';
import { createVideoDecoder } from '../../codecs/video/decoder.js';
import { createVideoEncoder } from '../../codecs/video/encoder.js';
import { movieFrame } from '../../codecs/video/fixtures/movie.js';
import { mutate } from '../helpers/fuzz.js';
import { prng } from '../helpers/prng.js';
import { videoCodecs } from './fixtures/video-streams.js';

// Hostile or damaged frames into each native decoder: random bytes, truncations and mutations
// of valid frames (key and delta). Every one must come back as a picture or an error value; a
// crash would end this process. The decoder must still decode a good key frame afterwards.

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 400);

for (const codec of videoCodecs) {
  test(`${codec}: random, truncated and mutated frames give error values, never a crash`, (t) => {
    const encoder = createVideoEncoder(codec, { width: 160, height: 96, bitRate: 500_000, frameRate: 30 });
    const valid = [0, 1, 2, 3].map((i) => encoder.encode(movieFrame(160, 96, i * 5), { keyFrame: i === 0 }));
    const key = encoder.encode(movieFrame(160, 96, 30), { keyFrame: true });
    encoder.close();
    const rnd = prng(0x5eed + codec.length);
    const decoder = createVideoDecoder(codec);
    let errors = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const base = valid[r % valid.length]!;
      const input =
        r % 5 === 0
          ? Uint8Array.from({ length: 1 + Math.floor(rnd() * 2000) }, () => Math.floor(rnd() * 256))
          : r % 5 === 1
            ? base.subarray(0, Math.floor(rnd() * base.length))
            : mutate(base, rnd);
      const decoded = decoder.decode(input);
      if (!decoded.ok) {
        errors++;
        t.regex(decoded.error, new RegExp(`^${codec}: `));
      } else t.is(decoded.value.pixels.length, decoded.value.width * decoded.value.height * 4);
    }
    t.log(`${ROUNDS} damaged frames: ${errors} error values, ${ROUNDS - errors} pictures`);
    t.true(errors > ROUNDS / 5);
    const after = decoder.decode(key);
    t.true(after.ok, after.ok ? '' : after.error);
    t.false(decoder.decode(new Uint8Array(0)).ok);
    decoder.close();
    t.false(decoder.decode(key).ok, 'a closed decoder refuses');
  });
}

test('a VP8 key frame that claims a huge picture is refused before it is decoded', (t) => {
  const encoder = createVideoEncoder('vp8', { width: 64, height: 64, bitRate: 500_000, frameRate: 30 });
  const key = encoder.encode(movieFrame(64, 64, 0), { keyFrame: true });
  encoder.close();
  const huge = key.slice();
  huge.set([0xff, 0x3f, 0xff, 0x3f], 6); // 16383x16383
  const decoded = createVideoDecoder('vp8').decode(huge);
  t.false(decoded.ok);
  if (!decoded.ok) t.regex(decoded.error, /larger than 8192x8192/);
});
