import type { AudioVolume, PcmFormat } from '../actors/contracts.js';
import { spiceVolume } from '../codecs/audio/volume.js';
import type { playbackProtocol } from '../codecs/protocol/channels/audio.js';
import { hasCap } from '../codecs/protocol/enums.js';
import type { MessageOf } from '../codecs/protocol/table.js';
import type { CloseReason } from './connection.js';

/** The server messages both audio channels have, alike (spice.proto: STOP, VOLUME, MUTE). */
type SharedAudioDefs = Pick<(typeof playbackProtocol)['server']['defs'], 'stop' | 'volume' | 'mute'>;

/** What the helper needs of an audio channel's connection (a playback or a record `ChannelConnection`). */
export interface AudioConnection {
  readonly link: { readonly channelCaps: readonly number[] };
  send(msg: MessageOf<SharedAudioDefs>): void;
  onClose(handler: () => void): void;
  close(reason: CloseReason): void;
}

/** The host's voice as an audio channel hears it. */
export type VoiceEvent = { kind: 'start'; format: PcmFormat } | { kind: 'stop' } | AudioVolume;

/**
 * The clients of one audio channel and the state of the host's voice they share: each client
 * gets the volume and the start as it links, and every start, stop and volume as the host says
 * it (VOLUME and MUTE only to clients with the channel's volume cap). What a start or a stop
 * means for one client (its format, its stream) is the channel's: `onStart`, `onStop`.
 */
export class AudioClients<T extends { readonly session: number; readonly c: AudioConnection }> implements Iterable<T> {
  private readonly clients = new Set<T>();
  private format: PcmFormat | null = null;
  private volume: AudioVolume | null = null;

  constructor(
    private readonly volumeCap: number,
    private readonly onStart: (client: T, format: PcmFormat) => void,
    private readonly onStop: (client: T) => void,
  ) {}

  /** The host voice's format while it is on. */
  get voice(): PcmFormat | null {
    return this.format;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.clients.values();
  }

  /** A new client: the volume and, while the voice is on, the start. */
  add(client: T): void {
    this.clients.add(client);
    client.c.onClose(() => this.clients.delete(client));
    if (this.volume) this.sendVolume(client, this.volume);
    if (this.format) this.onStart(client, this.format);
  }

  host(e: VoiceEvent): void {
    switch (e.kind) {
      case 'start':
        this.format = e.format;
        for (const client of this.clients) this.onStart(client, e.format);
        return;
      case 'stop':
        this.format = null;
        for (const client of this.clients) {
          this.onStop(client);
          client.c.send({ name: 'stop', body: {} });
        }
        return;
      case 'volume':
        this.volume = e;
        for (const client of this.clients) this.sendVolume(client, e);
        return;
    }
  }

  sessionEnded(session: number): void {
    for (const client of this.clients) if (client.session === session) client.c.close({ by: 'session', why: 'session ended' });
  }

  private sendVolume(client: T, v: AudioVolume): void {
    if (!hasCap(client.c.link.channelCaps, this.volumeCap)) return;
    client.c.send({ name: 'volume', body: { volume: spiceVolume(v.volume) } });
    client.c.send({ name: 'mute', body: { mute: v.mute ? 1 : 0 } });
  }
}
