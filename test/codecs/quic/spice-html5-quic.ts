import { existsSync, readFileSync } from 'node:fs';
import vm from 'node:vm';

/** Debian's spice-html5 package: the browser client's JavaScript QUIC decoder, an independent port of quic.c. */
export const SPICE_HTML5_QUIC = '/usr/share/spice-html5/quic.js';

export interface OracleImage {
  readonly type: number;
  readonly width: number;
  readonly height: number;
  /** B, G, R, X/A rows as quic.js writes them (X = 0 for RGB32/RGB24). */
  readonly pixels: Uint8Array;
}

export interface QuicJs {
  /** The decoded image, or undefined where quic.js refuses or throws. */
  decode(stream: Uint8Array): OracleImage | undefined;
}

/**
 * Loads quic.js into its own VM context. It is a browser ES module whose only export is the
 * last statement; without it, it runs as a classic script and leaves its decoder in the
 * context's global `encoder` (it needs nothing but console).
 */
export function loadSpiceHtml5Quic(): QuicJs {
  if (!existsSync(SPICE_HTML5_QUIC)) {
    throw new Error(`${SPICE_HTML5_QUIC} is missing: install the Debian package spice-html5`);
  }
  const source = readFileSync(SPICE_HTML5_QUIC, 'utf8');
  const script = source.replace(/^export\s*\{[^}]*\};?\s*$/m, '');
  if (script === source) throw new Error(`${SPICE_HTML5_QUIC}: no trailing export statement, layout changed`);
  const context = vm.createContext({ console: { log: () => {} } });
  vm.runInContext(script, context, { filename: SPICE_HTML5_QUIC });
  const decoder = context.encoder as {
    simple_quic_decode(bytes: Uint8Array): Uint8Array | undefined;
    type: number;
    width: number;
    height: number;
  };
  return {
    decode(stream) {
      try {
        const out = decoder.simple_quic_decode(stream);
        if (!out) return undefined;
        return { type: decoder.type, width: decoder.width, height: decoder.height, pixels: new Uint8Array(out) };
      } catch {
        return undefined;
      }
    },
  };
}
