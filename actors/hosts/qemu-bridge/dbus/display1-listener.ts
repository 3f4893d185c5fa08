/**
 * The org.qemu.Display1.Listener we serve to QEMU, on a peer-to-peer link over a socketpair
 * whose other end goes to Console.RegisterListener. QEMU authenticates as the server on it,
 * then calls Properties.GetAll on the listener and waits for the answer on its main loop, then
 * sends a full Scanout and Updates (NO_REPLY_EXPECTED). Handlers run synchronously as messages
 * arrive; their pixel data are views of the receive buffer (no copy), valid as long as kept.
 *
 * What QEMU sends is checked before a handler sees it: sizes and strides consistent with the
 * data length, so a consumer can blit without its own bounds checks. A bad message is answered
 * with InvalidArgs (or dropped, when no reply is expected).
 */
import { close, socketPair, type Fd } from '../../../../native/index.js';
import { boxAt, type Box } from '../../../../codecs/box.js';
import { DBusConnection } from './connection.js';
import { DBusError, Errors } from './errors.js';
import type { QemuConsole } from './display1-proxy.js';
import { Listener, LISTENER, LISTENER_PATH, LISTENER_UNIX_MAP, ListenerUnixMap } from './display1.js';
import { implement, implementBorrowing, readOnly, type ExportedInterface } from './exported.js';
import { UnixTransport } from './transport.js';
import { T } from '../../../../codecs/dbus/types.js';
import type { ObjectPath } from '../../../../codecs/dbus/names.js';
import type { Placer } from '../../../../codecs/dbus/message-reader.js';
import type { PixelsPlace } from '../scanout.js';

/** A pixman format code: bits per pixel in the top byte (0x20020888 = x8r8g8b8). */
export type PixmanFormat = number;

/** The whole surface: `stride * height` bytes, rows `stride` apart. */
export interface Scanout {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly format: PixmanFormat;
  readonly data: Uint8Array;
}

/** A rectangle of the surface, its rows `stride` apart in `data`. */
export interface Update extends Box {
  readonly stride: number;
  readonly format: PixmanFormat;
  readonly data: Uint8Array;
}

/** ARGB32 words, little-endian, top-down. */
export interface CursorShape {
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly data: Uint8Array;
}

export interface DmabufScanout {
  readonly fd: Fd;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly fourcc: number;
  readonly modifier: bigint;
  readonly y0Top: boolean;
}

/** A shared-memory surface (9.2+): `fd` is a memfd, the pixels at `offset`. */
export interface MapScanout {
  readonly fd: Fd;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly format: PixmanFormat;
}

export interface ListenerHandlers {
  /** `s.data` is lent for the call only: its bytes carry the next message afterwards. */
  scanout(s: Scanout): void;
  /** `u.data` is lent for the call only, as with scanout (or it is where `place` placed it). */
  update(u: Update): void;
  /**
   * Where a Scanout's or an Update's `bytes` of pixels may be read straight to, as they come off
   * the socket (the device's surface), or null for into the message. The call then comes with
   * `data` there.
   */
  place?(p: PixelsPlace, bytes: number): Uint8Array | null;
  cursorDefine(c: CursorShape): void;
  /** Pointer position as the device reports it, and whether it is shown. */
  mouseSet(x: number, y: number, visible: boolean): void;
  disable?(): void;
  /** gl=on only; without it the call is refused and the fd closed. The handler owns `fd`. */
  scanoutDmabuf?(s: DmabufScanout): void;
  /** QEMU waits for this answer before reusing the buffer: settle when done with it. */
  updateDmabuf?(r: Box): void | Promise<void>;
  /** Shared-memory scanouts (QEMU 9.2+), advertised in the Interfaces property only when present. */
  map?: {
    /** The handler owns `fd` (close the previous one). */
    scanoutMap(s: MapScanout): void;
    updateMap(r: Box): void | Promise<void>;
  };
}

/** Surfaces larger than this in either direction are refused (QEMU's own limit is far below). */
const MAX_SIDE = 16384;

const invalid = (why: string): never => {
  throw new DBusError(Errors.InvalidArgs, why);
};

const validSize = (width: number, height: number): boolean => width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE;
const validRect = (x: number, y: number, width: number, height: number): boolean =>
  validSize(width, height) && x >= 0 && y >= 0 && x + width <= MAX_SIDE && y + height <= MAX_SIDE;

function checkSize(width: number, height: number): void {
  if (!validSize(width, height)) invalid(`size ${width}x${height}`);
}

/** Bytes a pixel takes in a pixman format (bits per pixel in the top byte, whole bytes only). */
function bytesPerPixel(format: PixmanFormat): number {
  const bpp = format >>> 24;
  return bpp % 8 === 0 && bpp > 0 ? bpp / 8 : invalid(`pixman format 0x${format.toString(16)}`);
}

/** Rows of `width` pixels, `stride` apart, `height` of them, must fit in `data`. */
function checkPixels(width: number, height: number, stride: number, format: PixmanFormat, data: Uint8Array): void {
  const row = width * bytesPerPixel(format);
  if (stride < row) invalid(`stride ${stride} < row ${row}`);
  if (data.length < stride * (height - 1) + row) invalid(`${data.length} bytes for ${width}x${height} stride ${stride}`);
}

function checkRect(x: number, y: number, width: number, height: number): void {
  checkSize(width, height);
  if (!validRect(x, y, width, height)) invalid(`rectangle at ${x},${y}`);
}

/** The interfaces QEMU calls, over `handlers`. */
export function listenerInterfaces(handlers: ListenerHandlers): ExportedInterface[] {
  const methods = {
    Scanout: implementBorrowing(Listener.scanout, ([width, height, stride, format, data]) => {
      checkSize(width, height);
      checkPixels(width, height, stride, format, data);
      handlers.scanout({ width, height, stride, format, data });
      return [];
    }),
    Update: implementBorrowing(Listener.update, ([x, y, width, height, stride, format, data]) => {
      checkRect(x, y, width, height);
      checkPixels(width, height, stride, format, data);
      handlers.update({ ...boxAt(x, y, width, height), stride, format, data });
      return [];
    }),
    CursorDefine: implement(Listener.cursorDefine, ([width, height, hotX, hotY, data]) => {
      checkSize(width, height);
      if (data.length !== width * height * 4) invalid(`cursor ${width}x${height} with ${data.length} bytes`);
      handlers.cursorDefine({ width, height, hotX, hotY, data });
      return [];
    }),
    MouseSet: implement(Listener.mouseSet, ([x, y, on]) => {
      handlers.mouseSet(x, y, on !== 0);
      return [];
    }),
    Disable: implement(Listener.disable, () => {
      handlers.disable?.();
      return [];
    }),
    ...(handlers.scanoutDmabuf && {
      ScanoutDMABUF: implement(Listener.scanoutDmabuf, ([fd, width, height, stride, fourcc, modifier, y0Top]) => {
        handlers.scanoutDmabuf!({ fd, width, height, stride, fourcc, modifier, y0Top });
        return [];
      }),
    }),
    ...(handlers.updateDmabuf && {
      UpdateDMABUF: implement(Listener.updateDmabuf, async ([x, y, width, height]) => {
        await handlers.updateDmabuf!(boxAt(x, y, width, height));
        return [];
      }),
    }),
  };
  const map = handlers.map;
  const extra = map ? [LISTENER_UNIX_MAP] : [];
  const listener: ExportedInterface = { name: LISTENER, methods, properties: { Interfaces: readOnly(T.array(T.string), () => extra) } };
  if (!map) return [listener];
  const unixMap: ExportedInterface = {
    name: LISTENER_UNIX_MAP,
    methods: {
      ScanoutMap: implement(ListenerUnixMap.scanoutMap, ([fd, offset, width, height, stride, format]) => {
        try {
          checkSize(width, height);
          if (stride < width * bytesPerPixel(format)) invalid(`stride ${stride}`);
        } catch (e) {
          close(fd);
          throw e;
        }
        map.scanoutMap({ fd, offset, width, height, stride, format });
        return [];
      }),
      UpdateMap: implement(ListenerUnixMap.updateMap, async ([x, y, width, height]) => {
        checkRect(x, y, width, height);
        await map.updateMap(boxAt(x, y, width, height));
        return [];
      }),
    },
  };
  return [listener, unixMap];
}

/**
 * Registers a listener on `console`: makes a socketpair, starts our side of the link (client
 * auth, the listener object already exported), hands QEMU the other end, and resolves once the
 * link is up. Closing the returned connection unregisters the listener.
 */
export const openListener = (
  console: QemuConsole,
  handlers: ListenerHandlers,
  options: { readonly openTimeoutMs?: number } = {},
): Promise<DBusConnection> =>
  openPeerLink((fd) => console.registerListener(fd), LISTENER_PATH, listenerInterfaces(handlers), {
    ...options,
    ...(handlers.place && { place: pixelsPlacer(handlers.place) }),
  });

/** The MessageReader's placer for the listener's Scanout and Update calls, their values checked as the calls' are. */
function pixelsPlacer(place: NonNullable<ListenerHandlers['place']>): Placer {
  return (head) => {
    if (head.path !== LISTENER_PATH || head.interface !== LISTENER) return null;
    const v = head.values;
    const call = head.member === 'Update' && v.length === 6 ? v : head.member === 'Scanout' && v.length === 4 ? [0, 0, ...v] : null;
    if (!call?.every((n) => typeof n === 'number')) return null;
    const [x, y, width, height, stride, format] = call as [number, number, number, number, number, number];
    if (!validRect(x, y, width, height)) return null;
    const kind = head.member === 'Update' ? 'update' : 'scanout';
    const into = place({ kind, box: boxAt(x, y, width, height), stride, format }, head.arrayBytes);
    return into?.length === head.arrayBytes ? into : null;
  };
}

/**
 * A peer-to-peer link QEMU calls us on (a console's or audio listener): our end of a socketpair
 * with `interfaces` exported at `path` before QEMU can call, the other end handed over by
 * `register`.
 */
export async function openPeerLink(
  register: (fd: Fd) => Promise<void>,
  path: ObjectPath,
  interfaces: ExportedInterface[],
  options: { readonly openTimeoutMs?: number; readonly place?: Placer } = {},
): Promise<DBusConnection> {
  const [ours, theirs] = socketPair();
  const link = new DBusConnection(UnixTransport.fromFd(ours), { bus: false, role: 'client', ...options });
  link.export(path, interfaces);
  try {
    await register(theirs);
  } catch (e) {
    link.close();
    throw e;
  } finally {
    close(theirs);
  }
  await link.ready;
  return link;
}
