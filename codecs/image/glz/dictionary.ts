import { GlzDictionaryLayout as L } from './format.js';

/** The window a client may ask for, in pixels: at least 1 Mi (a 1024x1024 image), at most 16 Mi (64 MiB of pixels). */
export const GLZ_MIN_WINDOW_PIXELS = 2 ** 20;
export const GLZ_MAX_WINDOW_PIXELS = 2 ** 24;
/** Images the window holds at most, whatever their size. */
export const GLZ_MAX_IMAGES = 4096;

/**
 * One client's GLZ dictionary: shared memory (format.ts's layout) that encoder.cc reads and
 * writes on whichever compressor thread encodes, one encode at a time (`withLock`). A fresh
 * one for every client, so that a reconnecting client's ids start at 0 again.
 */
export interface GlzDictionary {
  readonly memory: SharedArrayBuffer;
}

/** The window in pixels for what a client's DISPLAY_INIT asked: clamped to the bounds, and whether it was. */
export function glzWindowPixels(asked: number): { pixels: number; clamped: boolean } {
  const pixels = Math.min(GLZ_MAX_WINDOW_PIXELS, Math.max(GLZ_MIN_WINDOW_PIXELS, Number.isSafeInteger(asked) ? asked : 0));
  return { pixels, clamped: pixels !== asked };
}

/** A new, empty dictionary of `windowPixels` (already clamped) pixels. */
export function createGlzDictionary(windowPixels: number): GlzDictionary {
  const ringAt = L.headerBytes + L.hashTables * 2 ** L.hashLog * 8 + GLZ_MAX_IMAGES * L.entryBytes;
  const memory = new SharedArrayBuffer(ringAt + windowPixels * 4);
  const view = new DataView(memory);
  view.setUint32(L.ringPixels, windowPixels, true);
  view.setUint32(L.maxImages, GLZ_MAX_IMAGES, true);
  return { memory };
}

/** The dictionary's window, in pixels. */
export const glzWindow = (dictionary: GlzDictionary): number => new DataView(dictionary.memory).getUint32(L.ringPixels, true);

/** Runs `encode` holding the dictionary's lock, waiting while another thread holds it. */
export function withLock<T>(dictionary: GlzDictionary, encode: () => T): T {
  const lock = new Int32Array(dictionary.memory, L.lock, 1);
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1);
  try {
    return encode();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0, 1);
  }
}

/** What the dictionary's images were coded as so far, in pixels. */
export interface GlzStats {
  readonly images: number;
  /** Matches into earlier images of the window. */
  readonly crossPixels: number;
  /** Matches inside their own image. */
  readonly samePixels: number;
  readonly literalPixels: number;
}

export function glzStats(dictionary: GlzDictionary): GlzStats {
  const view = new DataView(dictionary.memory);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  return {
    images: u64(L.nextId),
    crossPixels: u64(L.crossPixels),
    samePixels: u64(L.samePixels),
    literalPixels: u64(L.literalPixels),
  };
}
