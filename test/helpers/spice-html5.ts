import { existsSync, readFileSync } from 'node:fs';
import vm from 'node:vm';

/**
 * spice-html5's own decoders (Debian package `spice-html5`), loaded from the installed browser
 * modules into a node:vm context, as an independent oracle for what a real client draws. The
 * modules' import/export lines are dropped and the files run as scripts in one context, so they
 * see each other's top-level declarations as they would their imports.
 */
export const spiceHtml5Dir = '/usr/share/spice-html5/';

export const spiceHtml5Installed = (): boolean => existsSync(spiceHtml5Dir + 'lz.js');

/** What spice-html5 draws: canvas ImageData, R,G,B,A. */
export interface WebImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decodes a whole SpiceImage (descriptor + body) of type LZ_RGB the way spice-html5's display channel does. */
export type SpiceHtml5LzDecoder = (spiceImage: Uint8Array) => WebImage | undefined;

interface SpiceHtml5Globals {
  SpiceDataView: new (buffer: ArrayBuffer) => unknown;
  SpiceImage: new () => { from_dv(dv: unknown, at: number, mb: ArrayBuffer): number; lz_rgb?: unknown };
  convert_spice_lz_to_web(context: { createImageData(w: number, h: number): WebImage }, lzImage: unknown): WebImage | undefined;
}

function asScript(source: string): string {
  return source
    .replace(/^import .*;$/gm, '')
    .replace(/^export \{[^}]*\};?$/gm, '')
    .replace(/^export (?=var|let|const|function|class)/gm, '');
}

export function loadSpiceHtml5Lz(): SpiceHtml5LzDecoder {
  const context = vm.createContext({});
  // spicetype.js parses QUIC images too; an LZ image never reaches this stand-in.
  vm.runInContext('var SpiceQuic = function () { throw new Error("QUIC is not part of this oracle"); };', context);
  for (const file of ['enums.js', 'spicedataview.js', 'spicetype.js', 'lz.js']) {
    vm.runInContext(asScript(readFileSync(spiceHtml5Dir + file, 'utf8')), context, { filename: spiceHtml5Dir + file });
  }
  const g = context as unknown as SpiceHtml5Globals;
  const canvas = {
    createImageData: (width: number, height: number): WebImage => ({ width, height, data: new Uint8ClampedArray(width * height * 4) }),
  };
  return (spiceImage) => {
    const mb = spiceImage.slice().buffer;
    const image = new g.SpiceImage();
    image.from_dv(new g.SpiceDataView(mb), 0, mb);
    return g.convert_spice_lz_to_web(canvas, image.lz_rgb);
  };
}
