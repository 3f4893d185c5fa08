import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { chooseImageEncoding, type ImageCompressionMode } from '../../../codecs/image/choose.js';
import { type GradualityLevel, gradualityLevel } from '../../../codecs/image/graduality.js';
import type { NetTest } from '../../contracts.js';

/** `jpeg-wan-compression` and `zlib-glz-wan-compression`'s values. */
export type WanCompression = 'auto' | 'never' | 'always';

/**
 * Whether a WAN-only encoding is on for a client, as spice-server decides it
 * (`display_channel_update_compression`): always, never, or auto when the main channel's net
 * test found the link slow (no test yet: a fast link, as spice-server assumes).
 */
export const wanOn = (setting: WanCompression, link: NetTest | null): boolean =>
  setting === 'always' || (setting === 'auto' && link?.lowBandwidth === true);

/**
 * Whether an image will go JPEG, decided when it is drawn (not when the pool encodes it) so that
 * the lossy areas are known in pipe order: spice-server's rule, JPEG where QUIC would be chosen
 * (in the auto modes, a photo-like image by its graduality). The graduality is handed on so the
 * pool does not measure it again.
 */
export function goesLossy(
  bitmap: Bitmap32,
  mode: ImageCompressionMode,
  clientHasLz4: boolean,
): { lossy: boolean; graduality?: GradualityLevel } {
  const graduality = mode === 'auto_glz' || mode === 'auto_lz' ? gradualityLevel(bitmap) : undefined;
  const lossy = chooseImageEncoding({ mode, bitmap, clientHasLz4, graduality, jpeg: true }) === 'jpeg';
  return { lossy, ...(graduality && { graduality }) };
}
