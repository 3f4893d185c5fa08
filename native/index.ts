import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../runtime/build-root.js';

/** An open file descriptor owned by whoever holds it (close it exactly once). */
export type Fd = number & { readonly __brand: 'Fd' };

interface NativeAddon {
  setThreadName(name: string): void;
  dup(fd: number): number;
  close(fd: number): void;
  memfdCreate(name: string, size: number): number;
  mapShared(fd: number, size: number): SharedArrayBuffer;
  eventfdCreate(): number;
  eventfdSignal(fd: number): void;
  Poller: new (fd: number, drainEventfd: boolean, callback: (error: Error | undefined, count: number) => void) => NativePoller;
  socketPair(): [number, number];
  sendFds(socket: number, data: Uint8Array, fds: readonly number[]): number;
  recvFds(socket: number, into: Uint8Array): { bytes: number; fds: number[] } | null;
  setNotSentLowat(socket: number, bytes: number): void;
  encodeLz(pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array;
  encodeLzAlpha(pixels: Uint8Array, width: number, height: number, stride: number, alpha: true): Uint8Array;
  encodeQuic(pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array;
  encodeLz4(pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array;
  encodeGlz(dictionary: Uint8Array, pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array;
  SaslServer: new (localAddr: string | null, remoteAddr: string | null, externalSsf: number) => SaslSession;
  encodeJpeg(pixels: Uint8Array, width: number, height: number, stride: number, quality: number): Uint8Array;
  decodeJpeg(data: Uint8Array): NativePicture;
  Vp8Encoder: new (width: number, height: number, bitRate: number, frameRate: number) => NativeVideoEncoder;
  Vp8Decoder: new () => NativeVideoDecoder;
  H264Encoder: new (width: number, height: number, bitRate: number, frameRate: number) => NativeVideoEncoder;
  H264Decoder: new () => NativeVideoDecoder;
  OpusEncoder: new () => { encode(pcm: Uint8Array): Uint8Array };
  OpusDecoder: new () => { decode(packet: Uint8Array): Uint8Array };
  compressLz4Block(data: Uint8Array): Uint8Array | null;
  decompressLz4Block(block: Uint8Array, size: number): Uint8Array | null;
  rowHashes(w: Uint32Array, stride: number, x: number, y: number, width: number, height: number, out: Int32Array): void;
  contentHash(w: Uint32Array, stride: number, width: number, height: number, out: Int32Array): void;
  rowsEqual(
    a: Uint32Array,
    aStride: number,
    ax: number,
    ay: number,
    b: Uint32Array,
    bStride: number,
    bx: number,
    by: number,
    width: number,
    height?: number,
  ): boolean;
  gradualityScore(pixels: Uint8Array, width: number, height: number, stride: number, jump: number): number;
  anchorHashes(w: Uint32Array, starts: Int32Array, count: number, anchor: number, out: Int32Array): void;
  rollingMatches(
    w: Uint32Array,
    stride: number,
    x: number,
    y: number,
    width: number,
    height: number,
    anchor: number,
    seen: Uint8Array,
    fromRow: number,
    out: Int32Array,
  ): number;
  tileKinds(
    now: Uint32Array,
    nowStride: number,
    nowX: number,
    nowY: number,
    old: Uint32Array,
    oldStride: number,
    oldWidth: number,
    oldHeight: number,
    left: number,
    top: number,
    width: number,
    height: number,
    tile: number,
    offsets: Int32Array,
    out: Int8Array,
  ): void;
  copyRows(
    dst: Uint8Array,
    dstOffset: number,
    dstStride: number,
    src: Uint8Array,
    srcOffset: number,
    srcStride: number,
    rowBytes: number,
    rows: number,
  ): void;
}

interface NativePoller {
  start(): void;
  stop(): void;
  close(): void;
}

const addon = createRequire(import.meta.url)(join(packageRoot, 'native/build/Release/spice_native.node')) as NativeAddon;

/**
 * TCP_NOTSENT_LOWAT on a TCP socket: it takes no more writes while `bytes` wait unsent in the
 * kernel, so a backlog stays in user space where it can still be dropped or reordered.
 */
export const setNotSentLowat = (socket: number, bytes: number): void => addon.setNotSentLowat(socket, bytes);

/** Names the calling thread for the OS (`top -H`, /proc/PID/task/TID/comm); Linux keeps 15 bytes. */
export const setThreadName = (name: string): void => addon.setThreadName(name);

/** A duplicate of `fd` (close-on-exec), e.g. to hand a socket to another thread. */
export const dup = (fd: number): Fd => addon.dup(fd) as Fd;
export const close = (fd: Fd): void => addon.close(fd);
/** An anonymous shared-memory file of `size` bytes. */
export const memfdCreate = (name: string, size: number): Fd => addon.memfdCreate(name, size) as Fd;
/** Maps the first `size` bytes of `fd` shared; the mapping outlives the fd and lasts while the buffer is referenced. */
export const mapShared = (fd: Fd, size: number): SharedArrayBuffer => addon.mapShared(fd, size);

/**
 * `rows` rows of `rowBytes` bytes from `src` (at `srcOffset`, `srcStride` apart) to `dst` (at
 * `dstOffset`, `dstStride` apart) with memmove; ranges are checked (RangeError). The copy for
 * pixels in shared memory, where TypedArray set() goes a word at a time.
 */
export const copyRows: NativeAddon['copyRows'] = (...args) => addon.copyRows(...args);

/** A 32-bit hash of each of `height` rows of `width` pixel words from x,y into `out` (codecs/motion/rows.ts); ranges checked. */
export const nativeRowHashes: NativeAddon['rowHashes'] = (...args) => addon.rowHashes(...args);
/** The 64-bit hash of a bitmap's shown pixels (the 4th byte ignored) into out[0], out[1]; ranges checked. */
export const nativeContentHash: NativeAddon['contentHash'] = (...args) => addon.contentHash(...args);
/** Whether two rows of pixel words show the same colours (the 4th byte ignored); ranges checked. */
export const nativeRowsEqual: NativeAddon['rowsEqual'] = (...args) => addon.rowsEqual(...args);

/** spice-server's graduality walk over every `jump`th pixel: the mean pair score (codecs/image/graduality.ts); ranges checked. */
export const nativeGradualityScore: NativeAddon['gradualityScore'] = (...args) => addon.gradualityScore(...args);
/** The hash of the run of `anchor` pixel words from each of the first `count` offsets in `starts`, into `out` (codecs/motion/moves.ts); ranges checked. */
export const nativeAnchorHashes: NativeAddon['anchorHashes'] = (...args) => addon.anchorHashes(...args);
/**
 * The rolling hash of every run of `anchor` pixel words along the box's rows from `fromRow` (the
 * hash anchorHashes gives), and
 * where its low 16 bits are set in `seen`, (x, y, hash) into `out` from out[1] (their count in
 * out[0]); returns the row to go on from, `height` when done (codecs/motion/moves.ts); ranges checked.
 */
export const nativeRollingMatches: NativeAddon['rollingMatches'] = (...args) => addon.rollingMatches(...args);
/** Each motion tile's kind: moved by which offset, unchanged, or an image (codecs/motion/moves.ts); ranges checked. */
export const nativeTileKinds: NativeAddon['tileKinds'] = (...args) => addon.tileKinds(...args);

/** A counter fd (close-on-exec, non-blocking) that wakes a Poller in this or another process. */
export const eventfdCreate = (): Fd => addon.eventfdCreate() as Fd;
/** Wakes whoever polls `fd`; signals coalesce until the poller reads them. */
export const eventfdSignal = (fd: Fd): void => addon.eventfdSignal(fd);

/**
 * What a Poller watches: 'eventfd' reads (and so clears) the counter and reports how many signals
 * it held; 'readable' only reports readiness, and the callback must read until the fd would
 * block, or it is called again at once.
 */
export type PollMode = 'eventfd' | 'readable';
export type PollCallback = (error: Error | undefined, count: number) => void;

/**
 * Watches an fd from the calling thread's event loop (libuv uv_poll, epoll underneath): no thread
 * blocks and nothing spins. While started it keeps the loop alive; stopped or closed, it does
 * not. It polls its own duplicate of `fd` (the caller may close theirs; libuv makes the shared
 * file description non-blocking), and is closed with its thread at the latest. An error stops it and reaches the callback; an exception thrown by the
 * callback is the thread's uncaught exception.
 */
export class Poller {
  readonly #native: NativePoller;
  constructor(fd: Fd, mode: PollMode, callback: PollCallback) {
    this.#native = new addon.Poller(fd, mode === 'eventfd', callback);
  }
  start(): void {
    this.#native.start();
  }
  stop(): void {
    this.#native.stop();
  }
  /** Stops for good and releases the fd; start() then throws. */
  close(): void {
    this.#native.close();
  }
}

/** Two connected AF_UNIX stream sockets (non-blocking, close-on-exec); Node has no socketpair. */
export const socketPair = (): [Fd, Fd] => addon.socketPair() as [Fd, Fd];

/**
 * Sends `data` (at least one byte) with `fds` attached (SCM_RIGHTS) without blocking. Returns the
 * bytes sent; 0 means the socket is full and nothing, fds included, went. The fds stay open here.
 */
export const sendFds = (socket: Fd, data: Uint8Array, fds: readonly Fd[] = []): number => addon.sendFds(socket, data, fds);

/** What one recvFds call got: `bytes` 0 means the peer closed; the receiver owns `fds`. */
export interface Received {
  readonly bytes: number;
  readonly fds: Fd[];
}

/** Receives into `into` (at least one byte) with any fds that came along, without blocking; null if nothing is there yet. */
export const recvFds = (socket: Fd, into: Uint8Array): Received | null => addon.recvFds(socket, into) as Received | null;

/**
 * The image encoders compiled into the addon (codecs/image/{lz,quic,lz4,glz}/encoder.cc):
 * B,G,R,X/A rows `stride` bytes apart in, the encoded image out in an ArrayBuffer of its own.
 * encodeLz, encodeQuic, encodeLz4 and encodeGlz (codecs/image/lz, quic, lz4, glz) are the entry points; they check the bitmap first.
 */
export const lzEncode = (pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array =>
  addon.encodeLz(pixels, width, height, stride, alpha);
/** The alpha channel alone, as an LZ stream of type XXXA (JPEG_ALPHA's alpha plane). */
export const lzAlphaEncode = (pixels: Uint8Array, width: number, height: number, stride: number): Uint8Array =>
  addon.encodeLzAlpha(pixels, width, height, stride, true);
export const quicEncode = (pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array =>
  addon.encodeQuic(pixels, width, height, stride, alpha);
export const lz4Encode = (pixels: Uint8Array, width: number, height: number, stride: number, alpha: boolean): Uint8Array =>
  addon.encodeLz4(pixels, width, height, stride, alpha);
/** GLZ against `dictionary` (shared memory, codecs/image/glz/dictionary.ts), whose lock the caller holds. */
export const glzEncode = (dictionary: Uint8Array, pixels: Uint8Array, width: number, height: number, stride: number): Uint8Array =>
  addon.encodeGlz(dictionary, pixels, width, height, stride, false);

/** What a SASL start or step gave: `done` (authenticated) or more steps wanted, and the bytes for the client. */
export interface SaslReply {
  readonly done: boolean;
  /** null: no data (SASL tells it apart from empty). */
  readonly out: Uint8Array | null;
}

/**
 * One connection's SASL authentication, server side (cyrus-sasl, service and config name
 * "spice": /etc/sasl2/spice.conf, or spice.conf in the directories of SASL_CONF_PATH). A failed
 * or refused authentication throws an Error (its `saslCode` is libsasl2's result). Calls are
 * synchronous: made only by the server actor, on its thread (libsasl2's initialisation, done at
 * the first session, is not thread-safe).
 */
export interface SaslSession {
  /** The mechanisms on offer, comma-wrapped: ",SCRAM-SHA-256,PLAIN,". */
  mechanisms(): string;
  /** The client's chosen mechanism (1..100 bytes) and first data (at most 64 KiB, null for none). */
  start(mechanism: string, data: Uint8Array | null): SaslReply;
  step(data: Uint8Array | null): SaslReply;
  /** The authenticated user, once done. */
  username(): string | null;
  /** The strength of a negotiated security layer; 0 here, where none is ever negotiated (TLS carries the link). */
  ssf(): number;
  /** Frees it now; later calls throw. */
  dispose(): void;
}

/**
 * A SASL session for one connection: `local` and `remote` as "ip;port" (null on a unix socket),
 * `externalSsf` the transport's strength (the TLS cipher's bits). No security layer is offered.
 */
export const saslSession = (local: string | null, remote: string | null, externalSsf: number): SaslSession =>
  new addon.SaslServer(local, remote, externalSsf);

/** A decoded picture: B,G,R,X rows `width * 4` bytes apart, X = 0, in an ArrayBuffer of its own. */
export interface NativePicture {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * A stateful video encoder of native/src/video/ (libvpx VP8, openh264 H.264): frames in order,
 * each giving one encoded frame in an ArrayBuffer of its own. A frame of another size restarts it
 * (that frame is a key frame). Bad arguments throw; it is freed by close() or with its object.
 */
export interface NativeVideoEncoder {
  encode(pixels: Uint8Array, width: number, height: number, stride: number, keyFrame: boolean): Uint8Array;
  setRate(bitRate: number, frameRate: number): void;
  close(): void;
}

/** A stateful video decoder: each frame in order; damaged input throws an Error, never crashes. */
export interface NativeVideoDecoder {
  decode(data: Uint8Array): NativePicture;
  close(): void;
}

/** A complete baseline JPEG (4:2:0, fast DCT) of B,G,R,X rows, quality 1..100 (libturbojpeg). */
export const jpegEncode = (pixels: Uint8Array, width: number, height: number, stride: number, quality: number): Uint8Array =>
  addon.encodeJpeg(pixels, width, height, stride, quality);
/** A JPEG to B,G,R,X pixels; a damaged or truncated one throws. */
export const jpegDecode = (data: Uint8Array): NativePicture => addon.decodeJpeg(data);

export const vp8Encoder = (width: number, height: number, bitRate: number, frameRate: number): NativeVideoEncoder =>
  new addon.Vp8Encoder(width, height, bitRate, frameRate);
export const vp8Decoder = (): NativeVideoDecoder => new addon.Vp8Decoder();
export const h264Encoder = (width: number, height: number, bitRate: number, frameRate: number): NativeVideoEncoder =>
  new addon.H264Encoder(width, height, bitRate, frameRate);
export const h264Decoder = (): NativeVideoDecoder => new addon.H264Decoder();
/** libopus (native/src/opus.cc), 48 kHz stereo S16 in 480-sample frames; codecs/audio/opus.ts is the entry point. */
export const newOpusEncoder = (): { encode(pcm: Uint8Array): Uint8Array } => new addon.OpusEncoder();
export const newOpusDecoder = (): { decode(packet: Uint8Array): Uint8Array } => new addon.OpusDecoder();
/** Plain LZ4 blocks (native/src/lz4-block.cc); codecs/spicevmc/compressed-data.ts is the entry point. */
export const compressLz4Block = (data: Uint8Array): Uint8Array | null => addon.compressLz4Block(data);
export const decompressLz4Block = (block: Uint8Array, size: number): Uint8Array | null => addon.decompressLz4Block(block, size);
