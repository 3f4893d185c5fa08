import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import type { Box } from '../../../codecs/box.js';
import type { GradualityLevel } from '../../../codecs/image/graduality.js';
import type { VideoCodec } from '../../../codecs/video/encoder.js';
import type { StreamId } from './streams/stream-encoders.js';
import { covers, drawingRules, meet } from './pipe-rules.js';

/** What waits to be sent to a display client, in order. Images are snapshots: later drawing does not change them. */
export type Drawing =
  /** `lossy`: it goes JPEG (decided when drawn, wan.ts), with the graduality that decided it. */
  | {
      readonly kind: 'image';
      readonly box: Box;
      readonly clip?: readonly Box[];
      readonly bitmap: Bitmap32;
      readonly lossy?: boolean;
      readonly graduality?: GradualityLevel;
    }
  | { readonly kind: 'fill'; readonly box: Box; readonly clip?: readonly Box[]; readonly color: number }
  | { readonly kind: 'copy-bits'; readonly box: Box; readonly clip?: readonly Box[]; readonly srcX: number; readonly srcY: number }
  | { readonly kind: 'surface-create'; readonly width: number; readonly height: number }
  | { readonly kind: 'surface-destroy' }
  | { readonly kind: 'monitors'; readonly width: number; readonly height: number }
  | { readonly kind: 'mark' }
  /** The client forgets the picture (and its mark) until the next MARK: a new device replaced the old. */
  | { readonly kind: 'reset' }
  | {
      readonly kind: 'stream-create';
      readonly id: StreamId;
      readonly codec: VideoCodec;
      readonly dest: Box;
      readonly clip: readonly Box[] | null;
    }
  /**
   * A snapshot of the stream's area, encoded as it leaves, or with `inPlace` the surface itself
   * there, read as it leaves (a frame a write overlaps is then dropped); `sized`: sent with its
   * size and place (STREAM_DATA_SIZED).
   */
  | {
      readonly kind: 'stream-frame';
      readonly id: StreamId;
      readonly box: Box;
      readonly bitmap: Bitmap32;
      readonly inPlace: boolean;
      readonly sized: boolean;
    }
  | { readonly kind: 'stream-clip'; readonly id: StreamId; readonly clip: readonly Box[] | null }
  | { readonly kind: 'stream-destroy'; readonly id: StreamId }
  | { readonly kind: 'stream-destroy-all' }
  | { readonly kind: 'stream-activate-report'; readonly id: StreamId; readonly uniqueId: number };

const bytesOf = (d: Drawing): number => ('bitmap' in d ? d.bitmap.pixels.byteLength : 64);

/**
 * A client's pipe with spice-server's main saving on slow links (the rules per drawing kind are
 * data, in `pipe-rules.ts`): an opaque drawing drops the queued drawings it covers whole, so
 * what was overdrawn before it could be sent never is. It
 * takes the place of the first one it replaces when nothing queued after that overlaps it (spice-
 * server does so for video streams only): regions redrawn at the same pace, a video and a clock,
 * then take turns on a full link, where going to the back would starve whichever comes second. A
 * COPY_BITS reads what is under it on the client, so nothing before it is dropped. Past
 * `maxBytes` or `maxItems` the drawings go and an image of the whole surface, taken by the
 * caller, stands for them: memory stays bounded and a client that catches up gets the latest
 * screen, not every frame in between.
 */
export class Pipe {
  private items: Drawing[] = [];
  private byteCount = 0;
  /** Drawings dropped because something newer covered them, for metrics and tests. */
  dropped = 0;

  constructor(
    /** Called with each drawing dropped unsent, so its snapshot can be reused. */
    private readonly onDrop: (d: Drawing) => void = () => {},
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly maxItems = 512,
  ) {}

  get length(): number {
    return this.items.length;
  }
  get bytes(): number {
    return this.byteCount;
  }
  get overflowing(): boolean {
    return this.byteCount > this.maxBytes || this.items.length > this.maxItems;
  }

  push(d: Drawing): void {
    let at = this.items.length;
    if (covers(d)) {
      // Once something queued after a place overlaps `d` and stays, `d` must go after it.
      let movable = true;
      let dropped = 0;
      // Of those, the ones queued before `at`: they leave it earlier in the pipe.
      let droppedBefore = 0;
      for (let i = this.items.length - 1; i >= 0; i--) {
        const q = this.items[i]!;
        const met = meet(d.box, q);
        if (met === 'barrier') break;
        if (met === 'ahead') movable = false;
        else if (met === 'covered') {
          this.onDrop(q);
          this.items[i] = null as unknown as Drawing;
          this.byteCount -= bytesOf(q);
          dropped++;
          if (movable) {
            at = i;
            droppedBefore = 0;
          } else droppedBefore++;
        }
      }
      if (dropped > 0) {
        this.dropped += dropped;
        at -= droppedBefore;
        this.items = this.items.filter((q) => q !== null);
      }
    }
    this.items.splice(at, 0, d);
    this.byteCount += bytesOf(d);
  }

  /** The drawing `shift` would give, left in place. */
  peek(): Drawing | undefined {
    return this.items[0];
  }

  /** `d` takes the place of the queued drawing `same` picks (which is dropped), or goes last: a stream's newer frame replaces its unsent one. */
  replace(same: (q: Drawing) => boolean, d: Drawing): void {
    const i = this.items.findIndex(same);
    if (i < 0) return this.push(d);
    const old = this.items[i]!;
    this.onDrop(old);
    this.dropped++;
    this.byteCount += bytesOf(d) - bytesOf(old);
    this.items[i] = d;
  }

  shift(): Drawing | undefined {
    const d = this.items.shift();
    if (d) this.byteCount -= bytesOf(d);
    return d;
  }

  /** Replaces every queued drawing with `whole` (images of the whole surface), keeping surface changes in order. */
  collapse(whole: readonly Drawing[]): void {
    const kept: Drawing[] = this.items.filter((d) => !drawingRules[d.kind].collapses);
    for (const d of this.items) if (!kept.includes(d)) this.onDrop(d);
    this.dropped += this.items.length - kept.length;
    this.items = kept;
    this.byteCount = kept.reduce((n, d) => n + bytesOf(d), 0);
    for (const d of whole) this.push(d);
  }

  clear(): void {
    this.items.forEach(this.onDrop);
    this.items = [];
    this.byteCount = 0;
  }
}
