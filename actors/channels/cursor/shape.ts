import { CursorFlags, CursorType } from '../../../codecs/protocol/enums.js';
import type { Cursor } from '../../../codecs/protocol/structs.js';
import type { CursorShape } from '../../contracts.js';

/** The exact data size of a shape: spice-gtk copies that many bytes without checking. */
export function shapeBytes(type: CursorShape['type'], width: number, height: number): number {
  return type === 'alpha' ? width * height * 4 : 2 * Math.ceil(width / 8) * height;
}

/** Why a shape cannot go to a client, or null. */
export function badShape(s: CursorShape): string | null {
  if (!(s.width >= 1 && s.width <= 512 && s.height >= 1 && s.height <= 512)) return `cursor of ${s.width}x${s.height}`;
  if (s.hotX >= s.width || s.hotY >= s.height) return `hot spot ${s.hotX},${s.hotY} outside ${s.width}x${s.height}`;
  const want = shapeBytes(s.type, s.width, s.height);
  if (s.data.value.length !== want) return `${s.type} cursor data of ${s.data.value.length} bytes, ${want} expected`;
  return null;
}

/** The protocol's Cursor for `shape`: whole (cached by the client when it has an id), or from its cache. */
export function wireCursor(shape: CursorShape | null, inClientCache: boolean): Cursor {
  if (!shape) return { flags: CursorFlags.none, header: undefined, data: new Uint8Array(0) };
  const header = {
    unique: shape.unique,
    type: shape.type === 'alpha' ? CursorType.alpha : CursorType.mono,
    width: shape.width,
    height: shape.height,
    hot_spot_x: shape.hotX,
    hot_spot_y: shape.hotY,
  };
  if (inClientCache) return { flags: CursorFlags.fromCache, header, data: new Uint8Array(0) };
  return { flags: shape.unique !== 0n ? CursorFlags.cacheMe : 0, header, data: shape.data.value };
}
