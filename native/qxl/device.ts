import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { BitmapFormat, ImageType } from '../../codecs/protocol/enums.js';
import {
  QxlBitmapFlags,
  QxlBitmapImage,
  QxlBrushType,
  QxlClipType,
  QxlCopy,
  QxlCopyBits,
  QxlCursor,
  QxlCursorCmdHeader,
  QxlCursorCmdType,
  QxlCursorMove,
  QxlCursorSet,
  QxlDrawableHeader,
  QxlDrawType,
  QxlEffect,
  QxlFill,
  QxlImageGroup,
  QxlSurfaceCmd,
  QxlSurfaceCmdType,
  QxlSurfaceImage,
  qxlCursorCmdUnionOffset,
  qxlCursorCmdSize,
  qxlDrawableUnionOffset,
} from '../../codecs/qxl/commands.js';
import { encode, type Codec } from '../../codecs/protocol/wire.js';
import { close, eventfdCreate, mapShared, memfdCreate, Poller, type Fd } from '../index.js';
import { wakeAtTurnEnd } from './wake.js';
import { initDeviceMemory } from './device-memory.js';
import { QxlProducer } from './endpoints.js';
import { HEAP_OFFSET, QxlCmd, SURFACE_READERS_OFFSET, WRITE_GENERATION_OFFSET, type QxlPhysical, type QxlReleaseId } from './layout.js';
import type { DeviceHandoff } from '../../actors/contracts.js';
import type { MemSlot } from '../../codecs/qxl/memslot.js';
import type { Box } from '../../codecs/box.js';

export interface CursorImage {
  readonly unique: bigint;
  /** SPICE cursor type: 0 alpha, 1 mono. */
  readonly type: number;
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly data: Uint8Array;
}

/**
 * A QXL device as a VDI host drives it (the demo host, the QEMU bridge): device memory shared
 * with the red-worker, commands written with the qxl_dev.h layouts, and structs taken back from
 * the release ring. Every command either goes whole or not at all: when the heap or a ring is
 * full it returns false, and `onRoom` says when releases have made room.
 */
export class QxlDevice {
  readonly memory: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly producer: QxlProducer;
  private readonly poller: Poller;
  private readonly writeGeneration: Uint32Array;
  private readonly surfaceReaders: Int32Array;
  /** The heap blocks each command struct owns besides itself (image, pixels, shape), by the struct's offset. */
  private readonly owned = new Map<number, number[]>();
  private imageUnique = 1;
  private roomWaiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly handoff: DeviceHandoff,
    private readonly fds: Fd[],
  ) {
    this.memory = mapShared(handoff.memoryFd as Fd, handoff.size);
    this.bytes = new Uint8Array(this.memory);
    initDeviceMemory(this.memory);
    this.writeGeneration = new Uint32Array(this.memory, WRITE_GENERATION_OFFSET, 1);
    this.surfaceReaders = new Int32Array(this.memory, SURFACE_READERS_OFFSET, 1);
    // On the other core the red-worker pops each command as soon as it comes and arms its signal
    // again, so a signal per push woke it once per command: a turn's pushes go in one signal
    // (bench:e2e desktop: its wake-ups 143-170 a second before, 95-103 after, and the display
    // channel's 128-143 against 88-90).
    this.producer = new QxlProducer(
      this.memory,
      handoff.slot,
      wakeAtTurnEnd(handoff.consumerEventFd as Fd, () => !this.closed),
    );
    // Signalled only when asked: for releases once the heap was full, for room in a full ring.
    this.poller = new Poller(handoff.producerEventFd as Fd, 'eventfd', () => {
      this.collect(false);
      for (const wake of this.roomWaiters.splice(0)) wake();
    });
    this.poller.start();
  }

  static create(size = 64 * 1024 * 1024): QxlDevice {
    const memoryFd = memfdCreate('spice-qxl-device', size);
    const consumerEventFd = eventfdCreate();
    const producerEventFd = eventfdCreate();
    const slot: MemSlot = { id: 0, generation: 0, start: HEAP_OFFSET, end: size };
    return new QxlDevice({ memoryFd, size, slot, consumerEventFd, producerEventFd }, [memoryFd, consumerEventFd, producerEventFd]);
  }

  /** Bytes the device's heap holds at most: its surface and the commands in flight share them. */
  get capacity(): number {
    return this.handoff.slot.end - this.handoff.slot.start;
  }

  /** Resolves once releases may have made room. */
  room(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Creates the primary surface in the device memory, black, and returns its pixels (B,G,R,X rows):
   * the red-worker draws in that memory and snapshots from it, and a host may write its pixels
   * there itself and report where with `damage`. The memory is the create command's: the
   * red-worker releases that command only with the surface, so it stays until the surface is gone.
   * Undefined when the device is full.
   */
  surfaceCreate(width: number, height: number): Bitmap32 | undefined {
    const stride = width * 4;
    const area = this.alloc(stride * height);
    if (!area) return undefined;
    const pixels = this.bytes.subarray(area.offset, area.offset + stride * height).fill(0);
    const created = this.command(
      QxlCmd.Surface,
      QxlSurfaceCmd,
      (release_info) => ({
        release_info,
        surface_id: 0,
        type: QxlSurfaceCmdType.create,
        flags: 0,
        format: 32,
        width,
        height,
        stride,
        data: area.address,
      }),
      [area.offset],
    );
    return created ? { width, height, stride, pixels } : undefined;
  }

  surfaceDestroy(): boolean {
    return this.command(QxlCmd.Surface, QxlSurfaceCmd, (release_info) => ({
      release_info,
      surface_id: 0,
      type: QxlSurfaceCmdType.destroy,
      flags: 0,
      format: 0,
      width: 0,
      height: 0,
      stride: 0,
      data: 0n,
    }));
  }

  /** DRAW_COPY of `box` from `src` at (`srcX`, `srcY`): the pixels are copied into the device memory. */
  drawCopy(box: Box, src: Bitmap32, srcX: number, srcY: number): boolean {
    const w = box.right - box.left;
    const h = box.bottom - box.top;
    const pixels = this.alloc(w * h * 4);
    if (!pixels) return false;
    for (let y = 0; y < h; y++) {
      const from = (srcY + y) * src.stride + srcX * 4;
      this.bytes.set(src.pixels.subarray(from, from + w * 4), pixels.offset + y * w * 4);
    }
    const image = this.put(QxlBitmapImage, {
      descriptor: { id: (BigInt(this.imageUnique++) << 32n) | BigInt(QxlImageGroup.device), type: 0, flags: 0, width: w, height: h },
      format: BitmapFormat.bit32,
      flags: QxlBitmapFlags.direct | QxlBitmapFlags.topDown,
      x: w,
      y: h,
      stride: w * 4,
      palette: 0n,
      data: pixels.address,
    });
    if (!image) return this.undo([pixels.offset]);
    return this.drawable(
      QxlDrawType.copy,
      box,
      QxlCopy,
      {
        src_bitmap: image.address,
        src_area: { top: 0, left: 0, bottom: h, right: w },
        rop_descriptor: 8,
        scale_mode: 0,
        mask: { flags: 0, pos: { x: 0, y: 0 }, bitmap: 0n },
      },
      [pixels.offset, image.offset],
    );
  }

  /**
   * The host wrote `box` of the surface itself (into `surfaceCreate`'s pixels), in writes up to
   * `generation` (`beginWrite`'s, in mm_time): a DRAW_COPY from surface 0 onto the same place,
   * which tells the red-worker what changed without moving a pixel.
   */
  damage(box: Box, generation: number): boolean {
    const w = box.right - box.left;
    const h = box.bottom - box.top;
    const image = this.put(QxlSurfaceImage, {
      descriptor: { id: 0n, type: ImageType.surface, flags: 0, width: w, height: h },
      surface_id: 0,
    });
    if (!image) return false;
    return this.drawable(
      QxlDrawType.copy,
      box,
      QxlCopy,
      {
        src_bitmap: image.address,
        src_area: { top: box.top, left: box.left, bottom: box.bottom, right: box.right },
        rop_descriptor: 8,
        scale_mode: 0,
        mask: { flags: 0, pos: { x: 0, y: 0 }, bitmap: 0n },
      },
      [image.offset],
      { mmTime: generation },
    );
  }

  /** DRAW_FILL of `box` with 0x00RRGGBB. */
  fill(box: Box, color: number): boolean {
    const u = new Uint8Array(16);
    new DataView(u.buffer).setUint32(0, color >>> 0, true);
    return this.drawable(
      QxlDrawType.fill,
      box,
      QxlFill,
      { brush: { type: QxlBrushType.solid, u }, rop_descriptor: 8, mask: { flags: 0, pos: { x: 0, y: 0 }, bitmap: 0n } },
      [],
    );
  }

  /**
   * The host is about to write into the surface itself: the write's generation (counted in the
   * device memory, where the red-worker reads it after each snapshot).
   */
  beginWrite(): number {
    return (Atomics.add(this.writeGeneration, 0, 1) + 1) >>> 0;
  }

  /**
   * Whether a pool thread reads the surface in place now (an MJPEG frame): a long write (pixels
   * read from a socket straight into the surface) would tear it. Read before `beginWrite`; the
   * reader counts itself before it checks the write count, so one of the two sees the other.
   */
  surfaceRead(): boolean {
    return Atomics.load(this.surfaceReaders, 0) !== 0;
  }

  /**
   * Waits (the thread blocked, not spinning) while pool threads read the surface in place, at
   * most `maxMs`: a write now would tear their frame, and the wait is one JPEG encode at most.
   */
  waitForReaders(maxMs = 10): void {
    const until = performance.now() + maxMs;
    for (let n = Atomics.load(this.surfaceReaders, 0); n !== 0; n = Atomics.load(this.surfaceReaders, 0)) {
      const left = until - performance.now();
      if (left <= 0 || Atomics.wait(this.surfaceReaders, 0, n, left) === 'timed-out') return;
    }
  }

  /** The host's write that `beginWrite` counted is done: a snapshot that begins after this shows all of it. */
  endWrite(): void {
    Atomics.add(this.writeGeneration, 0, 1);
  }

  /**
   * The host's write of `generation` moved `box`'s rows there from (`srcX`, `srcY`) of the
   * surface before it: a COPY_BITS already done (effect NOP, the generation in mm_time), for the
   * red-worker to send as one if the client's picture of the source is still the one before.
   */
  moved(box: Box, srcX: number, srcY: number, generation: number): boolean {
    return this.drawable(QxlDrawType.copyBits, box, QxlCopyBits, { src_pos: { x: srcX, y: srcY } }, [], {
      effect: QxlEffect.nop,
      mmTime: generation,
    });
  }

  /** COPY_BITS: `box` gets what is at (`srcX`, `srcY`). */
  copyBits(box: Box, srcX: number, srcY: number): boolean {
    return this.drawable(QxlDrawType.copyBits, box, QxlCopyBits, { src_pos: { x: srcX, y: srcY } }, []);
  }

  cursorSet(shape: CursorImage, x: number, y: number, visible: boolean): boolean {
    const header = encode(QxlCursor, {
      unique: shape.unique,
      type: shape.type,
      width: shape.width,
      height: shape.height,
      hot_spot_x: shape.hotX,
      hot_spot_y: shape.hotY,
      data_size: shape.data.length,
      chunk: { data_size: shape.data.length, prev_chunk: 0n, next_chunk: 0n },
    });
    const block = this.alloc(header.length + shape.data.length);
    if (!block) return false;
    this.bytes.set(header, block.offset);
    this.bytes.set(shape.data, block.offset + header.length);
    return this.cursorCommand(
      QxlCursorCmdType.set,
      encode(QxlCursorSet, { position: { x, y }, visible: visible ? 1 : 0, shape: block.address }),
      [block.offset],
    );
  }

  cursorMove(x: number, y: number): boolean {
    return this.cursorCommand(QxlCursorCmdType.move, encode(QxlCursorMove, { position: { x, y } }), []);
  }

  cursorHide(): boolean {
    return this.cursorCommand(QxlCursorCmdType.hide, new Uint8Array(0), []);
  }

  close(): void {
    this.closed = true;
    this.poller.close();
    for (const fd of this.fds) close(fd);
  }

  /**
   * Takes released structs back, freeing what each owned. Done before each allocation rather than
   * on the red-worker's signal, so a release wakes no thread; `wait` asks for that signal (the
   * heap is full: only a release can make room).
   */
  private collect(wait: boolean): void {
    this.producer.releases.collect((id: QxlReleaseId) => {
      const at = this.producer.slots.resolve(id as bigint as QxlPhysical, 8);
      if (typeof at !== 'number' || !this.producer.heap.free(at)) return undefined;
      for (const o of this.owned.get(at) ?? []) this.producer.heap.free(o);
      this.owned.delete(at);
      return at;
    }, wait);
  }

  /** Heap memory from `get` (an allocator), after taking back what was released; when full, the red-worker is asked to signal its next releases. */
  private allocate<T>(get: () => T | undefined): T | undefined {
    this.collect(false);
    const got = get();
    if (got !== undefined) return got;
    // Armed, then looked at again: releases published in between are not missed.
    this.collect(true);
    return get();
  }

  private alloc(size: number): { offset: number; address: QxlPhysical } | undefined {
    return this.allocate(() => {
      const offset = this.producer.heap.alloc(size);
      return offset === undefined ? undefined : { offset, address: this.producer.slots.encode(this.handoff.slot.id, offset) };
    });
  }

  private put<T>(codec: Codec<T>, value: T): { offset: number; address: QxlPhysical } | undefined {
    const bytes = encode(codec, value);
    const block = this.alloc(bytes.length);
    if (block) this.bytes.set(bytes, block.offset);
    return block;
  }

  private undo(offsets: number[]): false {
    for (const o of offsets) this.producer.heap.free(o);
    return false;
  }

  private drawable<T>(
    type: number,
    box: Box,
    codec: Codec<T>,
    body: T,
    owned: number[],
    { effect = QxlEffect.opaque, mmTime = 0 }: { effect?: number; mmTime?: number } = {},
  ): boolean {
    const union = encode(codec, body);
    const cmd = this.allocate(() => this.producer.allocCommand(qxlDrawableUnionOffset + union.length));
    if (!cmd) return this.undo(owned);
    const rect = { top: box.top, left: box.left, bottom: box.bottom, right: box.right };
    const header = encode(QxlDrawableHeader, {
      release_info: cmd.address,
      surface_id: 0,
      effect,
      type,
      self_bitmap: 0,
      self_bitmap_area: { top: 0, left: 0, bottom: 0, right: 0 },
      bbox: rect,
      clip: { type: QxlClipType.none, data: 0n },
      mm_time: mmTime,
      surfaces_dest: new Uint8Array(12).fill(0xff),
      surfaces_rects: new Uint8Array(48),
    });
    this.bytes.set(header, cmd.offset);
    this.bytes.set(union, cmd.offset + qxlDrawableUnionOffset);
    return this.push(QxlCmd.Draw, cmd, owned);
  }

  private cursorCommand(type: number, union: Uint8Array, owned: number[]): boolean {
    const cmd = this.allocate(() => this.producer.allocCommand(qxlCursorCmdSize));
    if (!cmd) return this.undo(owned);
    this.bytes.set(encode(QxlCursorCmdHeader, { release_info: cmd.address, type }), cmd.offset);
    this.bytes.set(union, cmd.offset + qxlCursorCmdUnionOffset);
    return this.push(QxlCmd.Cursor, cmd, owned, true);
  }

  private command<T>(type: typeof QxlCmd.Surface, codec: Codec<T>, value: (release: bigint) => T, owned: number[] = []): boolean {
    const size = encode(codec, value(0n)).length;
    const cmd = this.allocate(() => this.producer.allocCommand(size));
    if (!cmd) return this.undo(owned);
    this.bytes.set(encode(codec, value(cmd.address)), cmd.offset);
    return this.push(type, cmd, owned);
  }

  private push(
    type: (typeof QxlCmd)[keyof typeof QxlCmd],
    cmd: { offset: number; address: QxlPhysical },
    owned: number[],
    cursor = false,
  ): boolean {
    const pushed = (cursor ? this.producer.cursor : this.producer.commands).push({ type, data: cmd.address });
    if (pushed !== true) return this.undo([cmd.offset, ...owned]);
    if (owned.length) this.owned.set(cmd.offset, owned);
    return true;
  }
}
