/**
 * QEMU's audio voices to the playback and record channels. Playback: the voice's Init format
 * (checked: S16 little-endian, 1 or 2 channels, 8..96 kHz), SetEnabled as start and stop, Write
 * as PCM offered to the playback channel (dropped when its link is full: old audio is worth
 * nothing), SetVolume as volume and mute. Record: SetEnabled asks the record channel's clients
 * to record; their PCM waits in a jitter buffer that answers QEMU's synchronous Read at once.
 * One voice each way is served (hda-duplex has one of each); another is refused with a log line.
 */
import type { Logger } from '../../../runtime/log.js';
import { moved } from '../../../runtime/envelope.js';
import { Histogram } from '../../../runtime/histogram.js';
import type { Link } from '../../../runtime/link.js';
import type { Flip } from '../../../runtime/message.js';
import type { AudioStats, PcmFormat, PlaybackFromHost, RecordToHost } from '../../contracts.js';
import type { AudioInHandlers, AudioOutHandlers, VoiceFormat } from './dbus/audio-listener.js';
import { JitterBuffer } from './jitter-buffer.js';

const MIN_FREQUENCY = 8000;
const MAX_FREQUENCY = 96000;
/** Record audio kept for QEMU: at most this much (then the oldest goes), reads start once this much came. */
const JITTER_MS = 200;
const PREFILL_MS = 40;
/** A Read asking for more than this is refused: QEMU asks for a timer period's worth, milliseconds. */
const MAX_READ_MS = 1000;

/** Why QEMU's format cannot be served, or null. */
export function refusedFormat(f: VoiceFormat): string | null {
  if (f.bits !== 16 || !f.signed || f.float || f.bigEndian)
    return `${f.bits}-bit ${f.float ? 'float' : f.signed ? 'signed' : 'unsigned'}${f.bigEndian ? ' big-endian' : ''} samples (only S16 little-endian)`;
  if (f.channels < 1 || f.channels > 2) return `${f.channels} channels (1 or 2)`;
  if (!Number.isInteger(f.frequency) || f.frequency < MIN_FREQUENCY || f.frequency > MAX_FREQUENCY)
    return `${f.frequency} Hz (${MIN_FREQUENCY}..${MAX_FREQUENCY})`;
  if (f.bytesPerFrame !== f.channels * 2 || f.bytesPerSecond !== f.frequency * f.bytesPerFrame)
    return `${f.bytesPerFrame} bytes per frame, ${f.bytesPerSecond} per second for ${f.channels} channels at ${f.frequency} Hz`;
  return null;
}

interface Voice {
  readonly id: bigint;
  readonly format: PcmFormat;
  enabled: boolean;
}

export class AudioBridge {
  private out: Voice | null = null;
  private in: Voice | null = null;
  private jitter: JitterBuffer | null = null;
  private written = 0;
  private dropped = 0;
  private reads = 0;
  private underruns = 0;
  private readUs = new Histogram();
  /** Voices refused (their ids), so that each costs one log line. */
  private readonly refused = new Set<bigint>();

  constructor(
    private readonly log: Logger,
    private readonly playback: Link<Flip<PlaybackFromHost>>,
    private readonly record: Link<Flip<RecordToHost>>,
  ) {
    record.messages$.subscribe((m) => {
      if (m.kind === 'pcm') this.jitter?.push(m.pcm.value);
    });
  }

  /** A voice's Init: served if it is the first of its direction and its format is one we take. */
  private init(dir: 'playback' | 'record', id: bigint, f: VoiceFormat): Voice | null {
    const why = refusedFormat(f);
    const current = dir === 'playback' ? this.out : this.in;
    if (why === null && current !== null && current.id !== id) {
      if (!this.refused.has(id))
        this.log.warn({ voice: String(id), serving: String(current.id), dir }, 'QEMU audio voice not served: one voice each way');
      this.refused.add(id);
      return null;
    }
    if (why !== null) {
      if (!this.refused.has(id)) this.log.warn({ voice: String(id), dir, why }, 'QEMU audio voice refused: format out of range');
      this.refused.add(id);
      return null;
    }
    this.refused.delete(id);
    return { id, format: { frequency: f.frequency, channels: f.channels }, enabled: false };
  }

  readonly outHandlers: AudioOutHandlers = {
    init: (id, f) => {
      if (this.out?.id === id && this.out.enabled) void this.playback.send({ kind: 'stop' });
      const v = this.init('playback', id, f);
      if (v) this.out = v;
    },
    fini: (id) => {
      if (this.out?.id !== id) return;
      if (this.out.enabled) void this.playback.send({ kind: 'stop' });
      this.out = null;
    },
    enabled: (id, enabled) => {
      const v = this.out;
      if (v?.id !== id || v.enabled === enabled) return;
      v.enabled = enabled;
      void this.playback.send(enabled ? { kind: 'start', format: v.format } : { kind: 'stop' });
    },
    volume: (id, mute, volume) => {
      if (this.out?.id === id) void this.playback.send({ kind: 'volume', volume, mute });
    },
    write: (id, pcm) => {
      const v = this.out;
      if (v?.id !== id || !v.enabled) return;
      const whole = pcm.length - (pcm.length % (v.format.channels * 2));
      this.written += whole;
      // A copy: the borrowed bytes are the receive buffer's.
      if (!this.playback.offer({ kind: 'pcm', pcm: moved(pcm.slice(0, whole)) })) this.dropped += whole;
    },
  };

  readonly inHandlers: AudioInHandlers = {
    init: (id, f) => {
      if (this.in?.id === id && this.in.enabled) void this.record.send({ kind: 'stop' });
      const v = this.init('record', id, f);
      if (!v) return;
      this.in = v;
      const bytesPerMs = (v.format.frequency * v.format.channels * 2) / 1000;
      const frame = v.format.channels * 2;
      this.jitter = new JitterBuffer(Math.ceil(bytesPerMs * JITTER_MS), Math.ceil(bytesPerMs * PREFILL_MS), frame);
    },
    fini: (id) => {
      if (this.in?.id !== id) return;
      if (this.in.enabled) void this.record.send({ kind: 'stop' });
      this.in = null;
      this.jitter = null;
    },
    enabled: (id, enabled) => {
      const v = this.in;
      if (v?.id !== id || v.enabled === enabled) return;
      v.enabled = enabled;
      this.jitter?.clear();
      void this.record.send(enabled ? { kind: 'start', format: v.format } : { kind: 'stop' });
    },
    volume: (id, mute, volume) => {
      if (this.in?.id === id) void this.record.send({ kind: 'volume', volume, mute });
    },
    read: (id, size) => {
      const t0 = process.hrtime.bigint();
      this.reads++;
      const v = this.in;
      const jitter = this.jitter;
      // Another voice, or one refused: silence of the size asked, within reason.
      const bytesPerMs = ((v?.format.frequency ?? 48000) * (v?.format.channels ?? 2) * 2) / 1000;
      const n = Number(size > BigInt(Math.ceil(bytesPerMs * MAX_READ_MS)) ? 0n : size);
      if (n === 0 && size > 0n) this.log.warn({ size: String(size) }, 'QEMU audio Read of more than a second: answered empty');
      let out: Uint8Array;
      if (v?.id === id && jitter) {
        const silence = jitter.silence;
        out = jitter.read(n);
        if (jitter.silence > silence) this.underruns++;
      } else out = new Uint8Array(n);
      this.readUs.record(Number(process.hrtime.bigint() - t0) / 1000);
      return out;
    },
  };

  /** QEMU went: whatever played stops. */
  detach(): void {
    if (this.out?.enabled) void this.playback.send({ kind: 'stop' });
    if (this.in?.enabled) void this.record.send({ kind: 'stop' });
    this.out = null;
    this.in = null;
    this.jitter = null;
    this.refused.clear();
  }

  stats(reset = false): AudioStats {
    const readUs = this.readUs.summary();
    if (reset) this.readUs = new Histogram();
    return { written: this.written, dropped: this.dropped, reads: this.reads, underruns: this.underruns, readUs };
  }
}
