/**
 * The video codecs a server may stream with, and spice-server's `video-codecs` syntax for an
 * ordered list of them: `mjpeg;vp8;h264`, each name optionally after an encoder prefix
 * (`spice:mjpeg`, `gstreamer:vp8`) that this server accepts and ignores, having one encoder per codec.
 */
import { DisplayCap } from '../protocol/enums.js';
import type { VideoCodec } from './encoder.js';

export const videoCodecs = ['mjpeg', 'vp8', 'h264'] as const satisfies readonly VideoCodec[];

/** The display channel capability a client advertises for each codec. */
export const videoCodecCap: { readonly [K in VideoCodec]: number } = {
  mjpeg: DisplayCap.codecMjpeg,
  vp8: DisplayCap.codecVp8,
  h264: DisplayCap.codecH264,
};

/** SpiceVideoCodecType numbers (spice-protocol enums.h). */
export const videoCodecType: { readonly [K in VideoCodec]: number } = { mjpeg: 1, vp8: 2, h264: 3 };

const encoderPrefixes = ['spice', 'gstreamer'];

/** The codecs in order, or why the text is not a list of them. */
export function parseVideoCodecs(text: string): VideoCodec[] | { error: string } {
  const list: VideoCodec[] = [];
  for (const raw of text.split(';')) {
    const entry = raw.trim();
    if (!entry) continue;
    const colon = entry.indexOf(':');
    const prefix = colon >= 0 ? entry.slice(0, colon) : null;
    const name = colon >= 0 ? entry.slice(colon + 1) : entry;
    if (prefix !== null && !encoderPrefixes.includes(prefix)) return { error: `unknown encoder '${prefix}' in '${entry}'` };
    if (!(videoCodecs as readonly string[]).includes(name)) return { error: `unknown codec '${name}' (known: ${videoCodecs.join(', ')})` };
    if (!list.includes(name as VideoCodec)) list.push(name as VideoCodec);
  }
  return list.length > 0 ? list : { error: 'no codec named' };
}
