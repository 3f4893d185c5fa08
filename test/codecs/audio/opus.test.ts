import test from 'ava';
import { OpusDecoder, OpusEncoder, opusChannels, opusFrameBytes, opusFrameSamples, opusFrequency } from '../../../codecs/audio/opus.js';
import { mutate } from '../../helpers/fuzz.js';
import { prng } from '../../helpers/prng.js';
import { dominantHz, sine } from '../../helpers/tone.js';

// OPUS_FUZZ_SEED replays a run; OPUS_FUZZ_MS sets its length (default 2 s).
const seed = Number(process.env.OPUS_FUZZ_SEED ?? 20261202);
const budgetMs = Number(process.env.OPUS_FUZZ_MS ?? 2000);

const tone = (hz: number, frames: number) => {
  const enc = new OpusEncoder();
  const packets: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) packets.push(enc.encode(sine(hz, opusFrequency, opusChannels, opusFrameSamples, f * opusFrameSamples)));
  return packets;
};

test('a 440 Hz tone through Opus comes back at 440 Hz, in packets under a quarter of the raw size', (t) => {
  const packets = tone(440, 100);
  const dec = new OpusDecoder();
  const pcm = Buffer.concat(
    packets.map((p) => {
      const r = dec.decode(p);
      if (!r.ok) throw new Error(r.error);
      t.is(r.value.length, opusFrameBytes);
      return r.value;
    }),
  );
  const bytes = packets.reduce((n, p) => n + p.length, 0);
  t.true(bytes < (opusFrameBytes * packets.length) / 4, `${bytes} bytes of Opus`);
  t.true(Math.abs(dominantHz(pcm.subarray(opusFrameBytes * 10), opusChannels, opusFrequency) - 440) < 2);
});

test('the encoder takes only whole frames', (t) => {
  t.throws(() => new OpusEncoder().encode(new Uint8Array(opusFrameBytes - 2)), { instanceOf: RangeError });
});

test('hostile packets: mutants, empty and oversized ones decode or are refused, never crash', (t) => {
  const rnd = prng(seed);
  const packets = tone(1000, 20);
  const dec = new OpusDecoder();
  t.false(dec.decode(new Uint8Array(0)).ok);
  t.false(dec.decode(new Uint8Array(5000)).ok);
  let refused = 0;
  let runs = 0;
  const end = Date.now() + budgetMs;
  while (Date.now() < end) {
    const r = dec.decode(mutate(packets[runs % packets.length]!, rnd));
    runs++;
    if (!r.ok) refused++;
    // At most 120 ms of stereo S16, whole samples.
    else t.true(r.value.length % 4 === 0 && r.value.length <= 5760 * 4, `${r.value.length} bytes`);
  }
  t.log(`${runs} mutants, ${refused} refused (seed ${seed})`);
  t.true(runs > 100);
});
