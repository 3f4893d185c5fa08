import { firstValueFrom, filter, map, Subject, throwError, timeout, type Observable } from 'rxjs';
import { cursorProtocol } from '../codecs/protocol/channels/cursor.js';
import { displayProtocol } from '../codecs/protocol/channels/display.js';
import { inputsProtocol } from '../codecs/protocol/channels/inputs.js';
import { mainProtocol } from '../codecs/protocol/channels/main.js';
import { playbackProtocol } from '../codecs/protocol/channels/audio.js';
import { capWords, ChannelType, DisplayCap, MainCap, PlaybackCap } from '../codecs/protocol/enums.js';
import type { ChannelProtocol, Defs, MessageOf } from '../codecs/protocol/table.js';
import { ClientChannel, type ClientChannelOptions } from './channel.js';
import { ClientDisplay, type DisplayInit } from './display.js';
import { linkChannel, type Endpoint } from './link.js';
import { ClientPlayback } from './playback.js';
import { MmClock } from './mm-clock.js';
import type { VideoCodec } from '../codecs/video/encoder.js';
import { videoCodecCap } from '../codecs/video/codec-list.js';

type ChannelOf<P> = P extends ChannelProtocol<infer S, infer C> ? ClientChannel<S, C> : never;
export type MainChannel = ChannelOf<typeof mainProtocol>;
export type InputsChannel = ChannelOf<typeof inputsProtocol>;
export type CursorChannel = ChannelOf<typeof cursorProtocol>;
type MainMessage = MessageOf<(typeof mainProtocol)['server']['defs']>;
export type MainInit = Extract<MainMessage, { name: 'init' }>['body'];

type Body<S extends Defs, N> = Extract<MessageOf<S>, { name: N }>['body'];

/** A message the client waits for and never gets fails after this long, naming what it waited for. */
const defaultWaitMs = 60_000;

/** The next message named `name` to arrive on a channel (rejected after `timeoutMs`). */
export function next<S extends Defs, N extends MessageOf<S>['name']>(
  ch: { messages$: Observable<MessageOf<S>> },
  name: N,
  timeoutMs = defaultWaitMs,
): Promise<Body<S, N>> {
  return firstValueFrom(
    ch.messages$.pipe(
      filter((m): m is Extract<MessageOf<S>, { name: N }> => m.name === name),
      map((m) => m.body),
      timeout({ first: timeoutMs, with: () => throwError(() => new Error(`no ${String(name)} within ${timeoutMs} ms`)) }),
    ),
  );
}

/** The first message named `name` a channel received, or the next to arrive. */
export function first<S extends Defs, N extends MessageOf<S>['name']>(
  ch: { messages$: Observable<MessageOf<S>>; history: readonly MessageOf<S>[] },
  name: N,
): Promise<Body<S, N>> {
  const seen = ch.history.find((m) => m.name === name);
  return seen ? Promise.resolve(seen.body as Body<S, N>) : next(ch, name);
}

const videoCaps = (codecs: readonly VideoCodec[]): number[] =>
  codecs.length === 0
    ? []
    : [DisplayCap.sizedStream, DisplayCap.streamReport, DisplayCap.multiCodec, ...codecs.map((c) => videoCodecCap[c])];

/**
 * A headless SPICE client: links the main channel, takes the session from INIT, attaches and
 * links the listed channels it knows, like spice-gtk does.
 */
export class SpiceClient {
  inputs: InputsChannel | null = null;
  cursor: CursorChannel | null = null;
  display: ClientDisplay | null = null;
  playback: ClientPlayback | null = null;
  /** Each playback channel as it is linked (the server lists it late when its audio comes late). */
  readonly playbackLinked$ = new Subject<ClientPlayback>();

  /** The session's multi-media clock (INIT, then MULTI_MEDIA_TIME), which stream reports are timed by. */
  readonly clock: MmClock;

  private constructor(
    readonly endpoint: Endpoint,
    readonly main: MainChannel,
    readonly init: MainInit,
    readonly channels: ReadonlyArray<{ type: number; id: number }>,
  ) {
    this.clock = new MmClock(init.multi_media_time);
  }

  /**
   * `videoCodecs`: the stream codecs the display advertises (MULTI_CODEC and each codec's cap, STREAM_REPORT,
   * SIZED_STREAM): every one is decoded (codecs/video/); none, no stream caps (a server may still
   * stream MJPEG, which every client takes).
   */
  static async connect(
    endpoint: Endpoint,
    options: {
      /** The channel types to link when listed (default inputs, cursor, display). */
      open?: readonly number[];
      channelOptions?: ClientChannelOptions;
      /** The playback channel asks for Opus (default), or raw PCM. */
      opus?: boolean;
      displayInit?: DisplayInit;
      videoCodecs?: readonly VideoCodec[];
    } = {},
  ): Promise<SpiceClient> {
    const linked = await linkChannel(endpoint, {
      channelType: ChannelType.main,
      channelId: 0,
      connectionId: 0,
      channelCaps: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
    });
    const main: MainChannel = new ClientChannel(linked, mainProtocol);
    const init = await first(main, 'init');
    const list = next(main, 'channels_list');
    main.send({ name: 'attach_channels', body: {} });
    const { channels } = await list;
    const client = new SpiceClient(endpoint, main, init, [...channels]);
    const open = options.open ?? [ChannelType.inputs, ChannelType.cursor, ChannelType.display];
    const link = async (c: { type: number; id: number }) => {
      if (!open.includes(c.type)) return;
      if (c.type === ChannelType.inputs) client.inputs = await client.openChannel(inputsProtocol, c.id, options.channelOptions);
      if (c.type === ChannelType.cursor && c.id === 0)
        client.cursor = await client.openChannel(cursorProtocol, c.id, options.channelOptions);
      if (c.type === ChannelType.display && c.id === 0) {
        client.display = new ClientDisplay(
          await client.openChannel(
            displayProtocol,
            c.id,
            options.channelOptions,
            capWords([DisplayCap.monitorsConfig, DisplayCap.lz4Compression, ...videoCaps(options.videoCodecs ?? [])]),
          ),
          options.displayInit,
          client.clock,
        );
        client.displayUp.forEach((up) => up(client.display!));
      }
      if (c.type === ChannelType.playback && c.id === 0) await client.openPlayback(options.opus ?? true);
    };
    // Channels the server starts later come in lists of their own, maybe already received.
    const more = (list: readonly { type: number; id: number }[]) => {
      for (const c of list) {
        (client.channels as Array<{ type: number; id: number }>).push(c);
        void link(c).catch(() => {});
      }
    };
    main.history
      .filter((m) => m.name === 'channels_list')
      .slice(1)
      .forEach((m) => more((m.body as { channels: { type: number; id: number }[] }).channels));
    const later = main.messages$.subscribe((m) => {
      if (m.name === 'channels_list') more(m.body.channels);
      if (m.name === 'multi_media_time') client.clock.set(m.body.time);
    });
    main.socket.once('close', () => later.unsubscribe());
    for (const c of channels) await link(c);
    return client;
  }

  private readonly displayUp: Array<(d: ClientDisplay) => void> = [];

  /** The display channel of display 0, once linked (rejected after `timeoutMs`). */
  displayReady(timeoutMs = 30_000): Promise<ClientDisplay> {
    if (this.display) return Promise.resolve(this.display);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no display channel within ${timeoutMs} ms`)), timeoutMs);
      this.displayUp.push((d) => {
        clearTimeout(timer);
        resolve(d);
      });
    });
  }

  /** Links another channel of this session. */
  async openChannel<S extends Defs, C extends Defs>(
    protocol: ChannelProtocol<S, C>,
    id: number,
    options?: ClientChannelOptions,
    channelCaps: readonly number[] = [],
  ): Promise<ClientChannel<S, C>> {
    const type = ChannelType[protocol.name as keyof typeof ChannelType];
    const linked = await linkChannel(this.endpoint, { channelType: type, channelId: id, connectionId: this.init.session_id, channelCaps });
    return new ClientChannel(linked, protocol as never, options);
  }

  /** Links the playback channel, in place of the one linked before (a server takes the newest): Opus or raw, with the volume and latency caps. */
  async openPlayback(opus: boolean): Promise<ClientPlayback> {
    this.playback?.channel.close();
    const caps = capWords([PlaybackCap.volume, PlaybackCap.latency, ...(opus ? [PlaybackCap.opus] : [])]);
    this.playback = new ClientPlayback(await this.openChannel(playbackProtocol, 0, undefined, caps));
    this.playbackLinked$.next(this.playback);
    return this.playback;
  }

  close(): void {
    for (const ch of [this.inputs, this.cursor, this.display?.channel, this.playback?.channel, this.main]) ch?.close();
  }
}
