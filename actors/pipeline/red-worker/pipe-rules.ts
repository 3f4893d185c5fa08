import { contains, intersects, type Box } from '../../../codecs/box.js';
import type { Drawing } from './pipe.js';

/** How drawings of one kind take part in the pipe's savings. */
export interface DrawingRule {
  /** Unclipped, it hides what it overlaps: it drops the queued drawings it covers whole. */
  readonly opaque: boolean;
  /**
   * What it is, while it waits, to a newer opaque drawing:
   * - `paint`: dropped when covered whole; else kept, and the newer one stays behind it if they overlap;
   * - `fixed`: kept, and the newer one stays behind it (the client shows what came before it);
   * - `barrier`: kept, and nothing before it is dropped or passed (the client reads its own
   *   pixels there, or starts a new picture).
   */
  readonly queued: 'paint' | 'fixed' | 'barrier';
  /** Dropped when the pipe collapses into one image of the surface, which stands for it. */
  readonly collapses: boolean;
}

/** The pipe's policy, per drawing kind; `pipe.ts` applies it. */
export const drawingRules: { readonly [K in Drawing['kind']]: DrawingRule } = {
  image: { opaque: true, queued: 'paint', collapses: true },
  fill: { opaque: true, queued: 'paint', collapses: true },
  'copy-bits': { opaque: false, queued: 'barrier', collapses: true },
  'surface-create': { opaque: false, queued: 'barrier', collapses: false },
  'surface-destroy': { opaque: false, queued: 'barrier', collapses: false },
  reset: { opaque: false, queued: 'barrier', collapses: false },
  monitors: { opaque: false, queued: 'fixed', collapses: false },
  mark: { opaque: false, queued: 'fixed', collapses: false },
  // A stream's frames replace each other themselves (Pipe.replace); one is drawn under the
  // stream's clip, so it hides nothing for sure. The stream's own messages keep their order.
  'stream-frame': { opaque: false, queued: 'paint', collapses: true },
  'stream-create': { opaque: false, queued: 'fixed', collapses: false },
  'stream-clip': { opaque: false, queued: 'fixed', collapses: false },
  'stream-destroy': { opaque: false, queued: 'fixed', collapses: false },
  'stream-destroy-all': { opaque: false, queued: 'fixed', collapses: false },
  'stream-activate-report': { opaque: false, queued: 'fixed', collapses: false },
};

type Boxed = Extract<Drawing, { box: Box }>;

/** The drawing hides whatever lies under its box: an opaque kind, unclipped. */
export const covers = (d: Drawing): d is Boxed => drawingRules[d.kind].opaque && !(d as { clip?: readonly Box[] }).clip;

/**
 * What a newer drawing covering `box` does to a queued one: drops it (`covered`), keeps it and
 * stays behind it (`ahead`), keeps it and may go before it (`passable`), or looks no further
 * back (`barrier`).
 */
export function meet(box: Box, queued: Drawing): 'covered' | 'ahead' | 'passable' | 'barrier' {
  const rule = drawingRules[queued.kind].queued;
  if (rule === 'barrier') return 'barrier';
  if (rule === 'fixed') return 'ahead';
  const under = (queued as Boxed).box;
  if (contains(box, under)) return 'covered';
  return intersects(box, under) ? 'ahead' : 'passable';
}
