import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';

/** The image corpus the repository carries (read from dist/test/helpers/, where tests and benches run). */
export const corpusDir = fileURLToPath(new URL('../../../test/fixtures/corpus/', import.meta.url));

export interface CorpusImage {
  readonly name: string;
  readonly bitmap: Bitmap32;
}

/** A PNG file as a top-down B,G,R,A bitmap (alpha kept in the 4th byte). */
export function readPng(path: string): Bitmap32 {
  const png = PNG.sync.read(readFileSync(path));
  const pixels = new Uint8Array(png.width * png.height * 4);
  const src = png.data;
  for (let i = 0; i < pixels.length; i += 4) {
    pixels[i] = src[i + 2]!;
    pixels[i + 1] = src[i + 1]!;
    pixels[i + 2] = src[i]!;
    pixels[i + 3] = src[i + 3]!;
  }
  return { width: png.width, height: png.height, stride: png.width * 4, pixels };
}

/** Every PNG of the corpus, sorted by name. */
export function corpus(): CorpusImage[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => ({ name: f.replace(/\.png$/, ''), bitmap: readPng(corpusDir + f) }));
}
