import { DisplayCap, hasCap } from '../../../../codecs/protocol/enums.js';
import { videoCodecCap, videoCodecType } from '../../../../codecs/video/codec-list.js';
import type { VideoCodec } from '../../../../codecs/video/encoder.js';

/**
 * The codecs a client may be streamed with, best first (spice-server's dcc choice): the
 * server's list, kept to what the client advertises (a client without MULTI_CODEC decodes MJPEG
 * only), re-sorted by the client's PREFERRED_VIDEO_CODEC_TYPE (its codecs first, in its order;
 * the rest in the server's).
 */
export function codecsFor(server: readonly VideoCodec[], caps: readonly number[], preferred: readonly number[]): VideoCodec[] {
  const multi = hasCap(caps, DisplayCap.multiCodec);
  const usable = server.filter((c) => (multi ? hasCap(caps, videoCodecCap[c]) : c === 'mjpeg'));
  const rank = (c: VideoCodec) => {
    const i = preferred.indexOf(videoCodecType[c]);
    return i < 0 ? preferred.length : i;
  };
  // Array.prototype.sort is stable: codecs the client does not name keep the server's order.
  return usable.sort((a, b) => rank(a) - rank(b));
}
