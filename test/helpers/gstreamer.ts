import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';

const run = promisify(execFile);

/**
 * GStreamer's decoder for each stream codec: an independent oracle for our encoders. vp8dec and
 * avdec_h264 are what spice-gtk's channel-display-gst.c plays VP8 and H.264 with; for MJPEG
 * spice-gtk calls libjpeg itself, which jpegdec wraps too. Each frame goes in as one buffer
 * (multifilesrc), so no parser from gst-plugins-bad is needed.
 */
const decoders: Record<VideoCodec, (width: number, height: number) => string> = {
  mjpeg: () => 'image/jpeg,framerate=30/1 ! jpegdec',
  vp8: (w, h) => `video/x-vp8,width=${w},height=${h},framerate=30/1 ! vp8dec`,
  h264: (w, h) => `video/x-h264,stream-format=byte-stream,alignment=au,width=${w},height=${h},framerate=30/1 ! avdec_h264`,
};

/** Decodes a stream's frames with gst-launch-1.0; the pictures, B,G,R,X. */
export async function gstDecode(codec: VideoCodec, frames: readonly Uint8Array[], width: number, height: number): Promise<Bitmap32[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gst-video-'));
  try {
    await Promise.all(frames.map((f, i) => writeFile(join(dir, `f${String(i).padStart(5, '0')}`), f)));
    const [caps, decoder] = decoders[codec](width, height).split(' ! ');
    const out = join(dir, 'out.raw');
    const pipeline = `multifilesrc location=${dir}/f%05d index=0 stop-index=${frames.length - 1} caps=${caps} ! ${decoder} ! videoconvert ! video/x-raw,format=BGRx ! filesink location=${out}`;
    await run('gst-launch-1.0', ['-q', ...pipeline.split(' ')], { timeout: 60_000 });
    const raw = await readFile(out);
    const size = width * height * 4;
    if (raw.length !== size * frames.length)
      throw new Error(`gstreamer ${codec}: ${raw.length} bytes out, ${frames.length} frames of ${size} expected`);
    return frames.map((_, i) => ({
      width,
      height,
      stride: width * 4,
      pixels: new Uint8Array(raw.buffer, raw.byteOffset + i * size, size),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
