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

/** An H.264 baseline SPS (NAL with its start code) declaring `widthMbs` x `heightMbs` macroblocks. */
function sps(widthMbs: number, heightMbs: number): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  const ue = (value: number) => {
    const n = Math.floor(Math.log2(value + 1));
    put(0, n);
    put(value + 1, n + 1);
  };
  put(66, 8); // profile_idc: baseline
  put(0xc0, 8); // constraint flags
  put(51, 8); // level 5.1
  ue(0); // seq_parameter_set_id
  ue(0); // log2_max_frame_num_minus4
  ue(2); // pic_order_cnt_type
  ue(1); // max_num_ref_frames
  put(0, 1); // gaps_in_frame_num_value_allowed_flag
  ue(widthMbs - 1);
  ue(heightMbs - 1);
  put(0b1101, 4); // frame_mbs_only, direct_8x8_inference, no cropping, no VUI... then the stop bit
  while (bits.length % 8 !== 0) bits.push(0);
  const bytes = Array.from({ length: bits.length / 8 }, (_, i) => bits.slice(i * 8, i * 8 + 8).reduce((a, b) => (a << 1) | b, 0));
  return Uint8Array.from([0, 0, 0, 1, 0x67, ...bytes]);
}

test('an H.264 SPS that declares a huge picture is refused before openh264 allocates for it', (t) => {
  const decoder = createVideoDecoder('h264');
  const huge = decoder.decode(sps(1024, 1024)); // 16384x16384
  t.false(huge.ok);
  if (!huge.ok) t.regex(huge.error, /larger than 8192x8192/);
  const fine = decoder.decode(sps(40, 23)); // 640x368: past the check, then no picture in it
  t.false(fine.ok);
  if (!fine.ok) t.notRegex(fine.error, /larger than|unreadable/);
  const cut = decoder.decode(sps(40, 23).subarray(0, 7));
  t.false(cut.ok);
  if (!cut.ok) t.regex(cut.error, /unreadable SPS/);
  decoder.close();
});
