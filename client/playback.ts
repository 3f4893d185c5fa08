import { Subject } from 'rxjs';
import { OpusDecoder } from '../codecs/audio/opus.js';
import type { playbackProtocol } from '../codecs/protocol/channels/audio.js';
import { AudioDataMode } from '../codecs/protocol/enums.js';
import type { MessageOf } from '../codecs/protocol/table.js';
import type { ClientChannel } from './channel.js';

type Playback = typeof playbackProtocol;
export type PlaybackChannel = ClientChannel<Playback['server']['defs'], Playback['client']['defs']>;
type PlaybackMessage = MessageOf<Playback['server']['defs']>;

/** One DATA packet as the client plays it: its multi-media time and its PCM (S16 LE interleaved, in `format`). */
export interface PlaybackPacket {
  readonly time: number;
  readonly pcm: Uint8Array;
  readonly format: { readonly channels: number; readonly frequency: number };
}

/**
 * The client end of the playback channel, as spice-gtk's: the mode from MODE, a decoder made at
 * START (Opus when the mode says so), each DATA decoded to PCM; LATENCY and the volume kept.
 * A packet the decoder refuses is counted, not played.
 */
export class ClientPlayback {
  private mode: number = AudioDataMode.raw;
  private decoder: OpusDecoder | null = null;
  format: PlaybackPacket['format'] | null = null;
  /** The last LATENCY, ms. */
  latencyMs: number | null = null;
  volume: readonly number[] | null = null;
  mute: boolean | null = null;
  /** Packets decoded, and refused. */
  packets = 0;
  bad = 0;
  readonly packets$ = new Subject<PlaybackPacket>();

  constructor(readonly channel: PlaybackChannel) {
    for (const m of channel.history) this.apply(m);
    channel.messages$.subscribe((m) => this.apply(m));
  }

  private apply(m: PlaybackMessage): void {
    switch (m.name) {
      case 'mode':
        this.mode = m.body.mode;
        return;
      case 'start':
        this.format = { channels: m.body.channels, frequency: m.body.frequency };
        this.decoder = this.mode === AudioDataMode.opus ? new OpusDecoder() : null;
        return;
      case 'stop':
        this.format = null;
        return;
      case 'data': {
        if (!this.format) return;
        let pcm = m.body.data;
        if (this.decoder) {
          const r = this.decoder.decode(pcm);
          if (!r.ok) {
            this.bad++;
            return;
          }
          pcm = r.value;
        }
        this.packets++;
        this.packets$.next({ time: m.body.time, pcm, format: this.format });
        return;
      }
      case 'latency':
        this.latencyMs = m.body.latency_ms;
        return;
      case 'volume':
        this.volume = m.body.volume;
        return;
      case 'mute':
        this.mute = m.body.mute !== 0;
        return;
    }
  }
}
