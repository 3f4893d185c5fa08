import test from 'ava';
import { createLogger } from '../../runtime/log.js';
import { Link } from '../../runtime/link.js';
import type { Flip } from '../../runtime/message.js';
import type { PlaybackFromHost, RecordToHost } from '../../actors/contracts.js';
import { JitterBuffer } from '../../actors/hosts/qemu-bridge/jitter-buffer.js';
import { AudioBridge, refusedFormat } from '../../actors/hosts/qemu-bridge/audio.js';
import type { VoiceFormat } from '../../actors/hosts/qemu-bridge/dbus/audio-listener.js';
import { PcmConverter } from '../../codecs/audio/convert.js';
import { dominantHz, sine } from '../helpers/tone.js';

const s16 = (frequency: number, channels: number): VoiceFormat => ({
  bits: 16,
  signed: true,
  float: false,
  frequency,
  channels,
  bytesPerFrame: channels * 2,
  bytesPerSecond: frequency * channels * 2,
  bigEndian: false,
});

test('QEMU voice formats: S16 LE, 1-2 channels, 8-96 kHz, consistent sizes; anything else refused with why', (t) => {
  t.is(refusedFormat(s16(48000, 2)), null);
  t.is(refusedFormat(s16(44100, 1)), null);
  t.regex(refusedFormat({ ...s16(48000, 2), float: true, bits: 32 })!, /float/);
  t.regex(refusedFormat({ ...s16(48000, 2), bigEndian: true })!, /big-endian/);
  t.regex(refusedFormat(s16(48000, 6))!, /6 channels/);
  t.regex(refusedFormat(s16(4_000_000, 2))!, /4000000 Hz/);
  t.regex(refusedFormat({ ...s16(48000, 2), bytesPerSecond: 1 })!, /bytes per frame/);
});

test('jitter buffer: silence until primed, whole frames, the oldest dropped when full, silence counted', (t) => {
  const jb = new JitterBuffer(16, 8, 4);
  t.deepEqual([...jb.read(8)], [0, 0, 0, 0, 0, 0, 0, 0], 'empty: silence');
  jb.push(Uint8Array.of(1, 1, 1, 1));
  t.deepEqual([...jb.read(4)], [0, 0, 0, 0], 'below the prefill: still silence');
  jb.push(Uint8Array.of(2, 2, 2, 2, 9));
  t.is(jb.buffered, 8, 'a broken frame is not taken');
  t.deepEqual([...jb.read(12)], [1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0], 'then what is there, padded');
  for (let i = 1; i <= 6; i++) jb.push(new Uint8Array(4).fill(i));
  t.is(jb.dropped, 8, 'two frames over the capacity went');
  t.deepEqual([...jb.read(16)], [3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6], 'the newest, in order across the ring end');
  t.is(jb.silence, 8 + 4 + 4);
});

test('PCM conversion: 44.1 kHz mono to 48 kHz stereo and back keeps a tone, across packet boundaries', (t) => {
  const up = new PcmConverter({ frequency: 44100, channels: 1 }, { frequency: 48000, channels: 2 });
  const down = new PcmConverter({ frequency: 48000, channels: 2 }, { frequency: 44100, channels: 1 });
  const parts: Uint8Array[] = [];
  const back: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    const x = up.convert(sine(440, 44100, 1, 441, i * 441));
    parts.push(x);
    back.push(down.convert(x));
  }
  const out = Buffer.concat(parts);
  t.true(Math.abs(out.length / 4 - 48000) <= 2, `${out.length / 4} frames for a second`);
  t.true(Math.abs(dominantHz(out, 2, 48000) - 440) < 1);
  const again = Buffer.concat(back);
  t.true(Math.abs(again.length / 2 - 44100) <= 2, `${again.length / 2} frames back`);
  t.true(Math.abs(dominantHz(again, 1, 44100) - 440) < 1);
  t.true(new PcmConverter({ frequency: 48000, channels: 2 }, { frequency: 48000, channels: 2 }).identity);
});

test('the bridge refuses a QEMU voice out of range with one log line, serves one voice each way, and answers Read with what it has then silence', (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', {}, (s) => void lines.push(JSON.parse(s) as Record<string, unknown>));
  const playback = new Link<Flip<PlaybackFromHost>>(null, { maxQueue: 16 });
  const record = new Link<Flip<RecordToHost>>(null);
  const audio = new AudioBridge(log, playback, record);
  audio.outHandlers.init(1n, { ...s16(48000, 2), float: true, bits: 32 });
  audio.outHandlers.init(1n, { ...s16(48000, 2), float: true, bits: 32 });
  audio.outHandlers.enabled(1n, true);
  audio.outHandlers.write(1n, new Uint8Array(64));
  t.is(playback.queued, 0, 'nothing from a refused voice');
  t.deepEqual(
    lines.map((l) => l.msg),
    ['QEMU audio voice refused: format out of range'],
    'one line for it',
  );
  audio.outHandlers.init(2n, s16(44100, 2));
  audio.outHandlers.init(3n, s16(44100, 2));
  audio.outHandlers.enabled(2n, true);
  audio.outHandlers.write(2n, new Uint8Array(4096));
  t.is(playback.queued, 2, 'start and the PCM of the served voice');
  t.is(lines.at(-1)!.msg, 'QEMU audio voice not served: one voice each way');
  audio.inHandlers.init(5n, s16(48000, 2));
  audio.inHandlers.enabled(5n, true);
  t.deepEqual([...audio.inHandlers.read(5n, 8n)], [0, 0, 0, 0, 0, 0, 0, 0], 'silence while the buffer is empty');
  t.deepEqual([...audio.inHandlers.read(5n, 10n ** 12n)], [], 'an absurd size: nothing');
  t.is(lines.at(-1)!.msg, 'QEMU audio Read of more than a second: answered empty');
  const s = audio.stats();
  t.like(s, { reads: 2, written: 4096 });
});
