import type { Decoded } from '../decoded.js';
import { newOpusDecoder, newOpusEncoder } from '../../native/index.js';

/**
 * Opus as SPICE uses it (spice-common snd_codec.c): 48 kHz, stereo S16, 480-sample (10 ms)
 * frames, OPUS_APPLICATION_AUDIO; libopus built into the native addon. The encoder and its
 * decoder keep state across frames: one of each per stream.
 */
export const opusFrequency = 48000;
export const opusChannels = 2;
export const opusFrameSamples = 480;
export const opusFrameBytes = opusFrameSamples * opusChannels * 2;

export class OpusEncoder {
  private readonly native = newOpusEncoder();

  /** One frame (`opusFrameBytes` of PCM) to one packet. */
  encode(pcm: Uint8Array): Uint8Array {
    if (pcm.length !== opusFrameBytes) throw new RangeError(`an Opus frame is ${opusFrameBytes} bytes, not ${pcm.length}`);
    return this.native.encode(pcm);
  }
}

export class OpusDecoder {
  private readonly native = newOpusDecoder();

  /** A packet to PCM; a malformed one is an error value (libopus refuses it), never a crash. */
  decode(packet: Uint8Array): Decoded<Uint8Array> {
    try {
      return { ok: true, value: this.native.decode(packet) };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
}
