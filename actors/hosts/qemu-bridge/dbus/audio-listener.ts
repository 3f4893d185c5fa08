/**
 * QEMU's D-Bus audio (`-audiodev dbus` with `-display dbus,audiodev=`): the AudioOutListener and
 * AudioInListener we serve, each on a peer-to-peer link whose other end goes to
 * Audio.RegisterOutListener / RegisterInListener on the bus. QEMU then calls Init and SetEnabled
 * for each voice it has, Write with playback PCM, and Read for record PCM, which it waits for on
 * its main loop: the Read handler answers in the same turn. Registering over a peer-to-peer
 * connection to QEMU crashes QEMU 7.2, so this is for bus mode only.
 */
import type { DBusConnection } from './connection.js';
import { openPeerLink } from './display1-listener.js';
import {
  Audio,
  AUDIO_IN_LISTENER,
  AUDIO_IN_LISTENER_PATH,
  AUDIO_OUT_LISTENER,
  AUDIO_OUT_LISTENER_PATH,
  AUDIO_PATH,
  AudioInListener,
  AudioOutListener,
} from './display1.js';
import { implement, implementBorrowing, type ExportedInterface, type ExportedMethod } from './exported.js';
import type { Value } from '../../../../codecs/dbus/types.js';

/** A voice's PCM format, as QEMU's Init gives it. */
export interface VoiceFormat {
  readonly bits: number;
  readonly signed: boolean;
  readonly float: boolean;
  readonly frequency: number;
  readonly channels: number;
  readonly bytesPerFrame: number;
  readonly bytesPerSecond: number;
  readonly bigEndian: boolean;
}

/** What both listeners hear; `id` names a voice. */
export interface VoiceHandlers {
  init(id: bigint, format: VoiceFormat): void;
  fini(id: bigint): void;
  enabled(id: bigint, enabled: boolean): void;
  /** One volume 0..255 per channel. */
  volume(id: bigint, mute: boolean, volume: readonly number[]): void;
}

export interface AudioOutHandlers extends VoiceHandlers {
  /** `pcm` is lent for the call only. */
  write(id: bigint, pcm: Uint8Array): void;
}

export interface AudioInHandlers extends VoiceHandlers {
  /** Answers at once: QEMU's main loop waits. */
  read(id: bigint, size: bigint): Uint8Array;
}

type Methods = Record<string, ExportedMethod<readonly Value[], readonly Value[]>>;

function voiceMethods(spec: typeof AudioOutListener | typeof AudioInListener, h: VoiceHandlers): Methods {
  return {
    Init: implement(spec.init, ([id, bits, signed, float, frequency, channels, bytesPerFrame, bytesPerSecond, bigEndian]) => {
      h.init(id, { bits, signed, float, frequency, channels, bytesPerFrame, bytesPerSecond, bigEndian });
      return [];
    }),
    Fini: implement(spec.fini, ([id]) => {
      h.fini(id);
      return [];
    }),
    SetEnabled: implement(spec.setEnabled, ([id, enabled]) => {
      h.enabled(id, enabled);
      return [];
    }),
    SetVolume: implement(spec.setVolume, ([id, mute, volume]) => {
      h.volume(id, mute, [...volume]);
      return [];
    }),
  };
}

export function audioOutInterfaces(h: AudioOutHandlers): ExportedInterface[] {
  const methods = {
    ...voiceMethods(AudioOutListener, h),
    Write: implementBorrowing(AudioOutListener.write, ([id, pcm]) => {
      h.write(id, pcm);
      return [];
    }),
  };
  return [{ name: AUDIO_OUT_LISTENER, methods }];
}

export function audioInInterfaces(h: AudioInHandlers): ExportedInterface[] {
  const methods = {
    ...voiceMethods(AudioInListener, h),
    Read: implement(AudioInListener.read, ([id, size]) => [h.read(id, size)] as const),
  };
  return [{ name: AUDIO_IN_LISTENER, methods }];
}

/** Registers both listeners with the QEMU named `qemu` on `bus`; rejects (UnknownObject, ...) when QEMU has no audio. */
export async function openAudio(
  bus: DBusConnection,
  qemu: string,
  out: AudioOutHandlers,
  input: AudioInHandlers,
  options: { readonly openTimeoutMs?: number } = {},
): Promise<DBusConnection[]> {
  const target = { destination: qemu, path: AUDIO_PATH };
  const playback = await openPeerLink(
    (fd) => bus.call(target, Audio.registerOutListener, [fd]).then(() => {}),
    AUDIO_OUT_LISTENER_PATH,
    audioOutInterfaces(out),
    options,
  );
  try {
    const record = await openPeerLink(
      (fd) => bus.call(target, Audio.registerInListener, [fd]).then(() => {}),
      AUDIO_IN_LISTENER_PATH,
      audioInInterfaces(input),
      options,
    );
    return [playback, record];
  } catch (e) {
    playback.close();
    throw e;
  }
}
