import { WireError } from '../../decoded.js';
import { type Bitmap32, type Decoded, decodeError } from '../bitmap.js';
import { LZ_MAGIC, LZ_VERSION } from '../lz/format.js';
import { GLZ_HEADER_SIZE, GLZ_LEN_ESCAPE, GLZ_MAX_COPY, GLZ_SHORT_OFFSET_BITS, GLZ_TOP_DOWN_SHIFT, GLZ_TYPE_RGB32 } from './format.js';

/** Pixels the window holds at most (spice-gtk trusts the server; we bound it). */
const MAX_WINDOW_PIXELS = 2 ** 26;

interface WindowImage {
  readonly id: bigint;
  /** B,G,R,0 words, top-down. */
  readonly pixels: Uint32Array;
}

/**
 * The client's GLZ window (spice-gtk's SpiceGlzDecoderWindow), for images that arrive in id
 * order: decodes GLZ_RGB payloads of type RGB32, keeps each image for later ones to reference,
 * and frees those older than the latest image's id minus its win_head_dist.
 */
export class GlzWindow {
  private readonly images = new Map<bigint, WindowImage>();
  private held = 0;

  /** Images kept for later references. */
  get size(): number {
    return this.images.size;
  }

  decode(data: Uint8Array): Decoded<Bitmap32> {
    try {
      return { ok: true, value: this.decodeOrThrow(data) };
    } catch (e) {
      if (e instanceof WireError) return decodeError(e.message);
      throw e;
    }
  }

  private decodeOrThrow(data: Uint8Array): Bitmap32 {
    if (data.length < GLZ_HEADER_SIZE) throw new WireError('glz: truncated header');
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(0) !== LZ_MAGIC) throw new WireError('glz: bad magic');
    if (view.getUint32(4) !== LZ_VERSION) throw new WireError('glz: unsupported version');
    const typeByte = data[8]!;
    if ((typeByte & 0x0f) !== GLZ_TYPE_RGB32) throw new WireError(`glz: image type ${typeByte & 0x0f} is not RGB32`);
    const topDown = typeByte >> GLZ_TOP_DOWN_SHIFT !== 0;
    const width = view.getUint32(9);
    const height = view.getUint32(13);
    const id = view.getBigUint64(21);
    const headDistance = view.getUint32(29);
    const n = width * height;
    if (width < 1 || height < 1 || n > MAX_WINDOW_PIXELS) throw new WireError(`glz: bad size ${width}x${height}`);
    const out = new Uint32Array(n);
    const end = this.stream(data, GLZ_HEADER_SIZE, out, id);
    if (end !== data.length) throw new WireError(`glz: ${data.length - end} bytes after the image`);
    this.keep({ id, pixels: out }, id - BigInt(headDistance));
    const bytes = new Uint8Array(out.buffer);
    if (topDown) return { width, height, stride: width * 4, pixels: bytes };
    const flipped = new Uint8Array(bytes.length);
    const row = width * 4;
    for (let y = 0; y < height; y++) flipped.set(bytes.subarray((height - 1 - y) * row, (height - y) * row), y * row);
    return { width, height, stride: row, pixels: flipped };
  }

  private keep(image: WindowImage, oldest: bigint): void {
    for (const [id, kept] of this.images) {
      if (id >= oldest) continue;
      this.images.delete(id);
      this.held -= kept.pixels.length;
    }
    this.images.set(image.id, image);
    this.held += image.pixels.length;
    if (this.held > MAX_WINDOW_PIXELS) throw new WireError(`glz: the window would hold ${this.held} pixels`);
  }

  /** The RGB32 stream from `at` into `out`; returns where it ended. */
  private stream(data: Uint8Array, at: number, out: Uint32Array, id: bigint): number {
    let ip = at;
    let op = 0;
    const byte = () => {
      if (ip >= data.length) throw new WireError('glz: stream truncated');
      return data[ip++]!;
    };
    while (op < out.length) {
      const ctrl = byte();
      if (ctrl < GLZ_MAX_COPY) {
        const count = ctrl + 1;
        if (op + count > out.length) throw new WireError('glz: literal run past the end of the image');
        if (ip + count * 3 > data.length) throw new WireError('glz: stream truncated');
        for (let k = 0; k < count; k++, ip += 3) out[op++] = data[ip]! | (data[ip + 1]! << 8) | (data[ip + 2]! << 16);
        continue;
      }
      let len = ctrl >> 5;
      const longOffset = (ctrl >> 4) & 1;
      let offset = ctrl & 0x0f;
      if (len === GLZ_LEN_ESCAPE) {
        let code: number;
        do len += code = byte();
        while (code === 255);
      }
      offset += byte() << 4;
      let code = byte();
      const distanceBytes = code >> 6;
      let distance = 0;
      if (!longOffset) {
        distance = code & 0x3f;
        for (let k = 0; k < distanceBytes; k++) distance += byte() * 2 ** (6 + 8 * k);
      } else {
        const veryLong = (code >> 5) & 1;
        offset += (code & 0x1f) * 2 ** GLZ_SHORT_OFFSET_BITS;
        for (let k = 0; k < distanceBytes; k++) distance += byte() * 2 ** (8 * k);
        if (veryLong) offset += (code = byte()) * 2 ** 17;
      }
      if (op + len > out.length) throw new WireError('glz: match past the end of the image');
      if (distance === 0) {
        const from = op - (offset + 1);
        if (from < 0) throw new WireError('glz: match before the start of the image');
        for (let k = 0; k < len; k++) out[op + k] = out[from + k]!;
      } else {
        const ref = this.images.get(id - BigInt(distance));
        if (!ref) throw new WireError(`glz: image ${id - BigInt(distance)} is not in the window`);
        if (offset + len > ref.pixels.length) throw new WireError('glz: match past the end of the image it reads');
        out.set(ref.pixels.subarray(offset, offset + len), op);
      }
      op += len;
    }
    return ip;
  }
}
