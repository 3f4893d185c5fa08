import type { Bitmap32 } from '../codecs/image/bitmap.js';

/**
 * The client's pixmap cache, as spice-gtk keeps it: images the server sent with CACHE_ME, by
 * their descriptor id, until INVAL_LIST or INVAL_ALL_PIXMAPS. spice-gtk trusts the server to
 * stay within the size its DISPLAY_INIT offered; this one checks it, so a server that does not
 * is caught (an error, not memory).
 */
export class ClientPixmapCache {
  private readonly images = new Map<bigint, Bitmap32>();
  private used = 0;
  /** Images drawn from the cache. */
  hits = 0;

  constructor(
    /** The size offered in DISPLAY_INIT, in pixels. */
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.images.size;
  }

  /** Keeps a copy of `image` under `id` (replacing what was there); the reason when that overfills the cache. */
  put(id: bigint, image: Bitmap32): string | null {
    this.remove(id);
    const pixels = image.width * image.height;
    if (this.used + pixels > this.capacity)
      return `pixmap ${id} (${pixels} pixels) overfills the cache: ${this.used} of ${this.capacity} pixels held`;
    const copy = new Uint8Array(pixels * 4);
    for (let y = 0; y < image.height; y++)
      copy.set(image.pixels.subarray(y * image.stride, y * image.stride + image.width * 4), y * image.width * 4);
    this.images.set(id, { width: image.width, height: image.height, stride: image.width * 4, pixels: copy });
    this.used += pixels;
    return null;
  }

  /** The image under `id`, counted as a hit; undefined when the cache does not hold it. */
  get(id: bigint): Bitmap32 | undefined {
    const image = this.images.get(id);
    if (image) this.hits++;
    return image;
  }

  remove(id: bigint): void {
    const image = this.images.get(id);
    if (!image) return;
    this.used -= image.width * image.height;
    this.images.delete(id);
  }

  clear(): void {
    this.images.clear();
    this.used = 0;
  }
}
