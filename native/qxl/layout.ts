// Byte layouts of the QXL device memory, from spice-protocol's qxl_dev.h and ipc_ring.h (Debian
// libspice-protocol-dev 0.14.3). All structs there are packed and little-endian.

/** QXLCmdType: what a QXLCommand's `data` points at. */
export const QxlCmd = { Nop: 0, Draw: 1, Update: 2, Cursor: 3, Message: 4, Surface: 5 } as const;
export type QxlCmdType = (typeof QxlCmd)[keyof typeof QxlCmd];
export const isQxlCmdType = (v: number): v is QxlCmdType => Number.isInteger(v) && v >= QxlCmd.Nop && v <= QxlCmd.Surface;

/** QXLPHYSICAL: a memory-slot id and generation in the high bits, an address below (memslots.ts). */
export type QxlPhysical = bigint & { readonly __brand: 'QxlPhysical' };

/** QXLCommand { QXLPHYSICAL data; u32 type; u32 padding } = 16 bytes, a ring item of the command and cursor rings. */
export interface QxlCommand {
  readonly type: QxlCmdType;
  readonly data: QxlPhysical;
}
export const QXL_COMMAND_SIZE = 16;

/**
 * QXLReleaseInfo, the first 8 bytes of every command struct (QXLDrawable, QXLSurfaceCmd,
 * QXLCursorCmd, QXLUpdateCmd, QXLMessage): a u64 union, the producer's `id` for the struct on the
 * way in, overwritten with the `next` id of a release chain on the way back (release.ts).
 */
export type QxlReleaseId = bigint & { readonly __brand: 'QxlReleaseId' };
export const QXL_RELEASE_INFO_SIZE = 8;
/** QXLMessage { QXLReleaseInfo release_info; u8 data[] }: data is a NUL-terminated text. */
export const QXL_MESSAGE_DATA = 8;

/** SPICE_RING_DECLARE header: u32 num_items, prod, notify_on_prod, cons, notify_on_cons; items follow at once. */
export const RING_HEADER_SIZE = 20;
/** Header words, as u32 indexes from the ring's start. */
export const RingWord = { numItems: 0, prod: 1, notifyOnProd: 2, cons: 3, notifyOnCons: 4 } as const;

/** Where a ring lives in the device memory, and its items (a power of two, each padded to a power of two). */
export interface RingSpec {
  readonly offset: number;
  readonly numItems: number;
  readonly itemSize: number;
}
export const ringBytes = (r: RingSpec): number => RING_HEADER_SIZE + r.numItems * r.itemSize;

export const QXL_COMMAND_RING_SIZE = 32;
export const QXL_CURSOR_RING_SIZE = 32;
export const QXL_RELEASE_RING_SIZE = 8;

/** QXLRam (packed, 5348 bytes): the device memory starts with it, so C code can use the header's struct as is. */
export const QxlRam = {
  magic: 0,
  intPending: 4,
  intMask: 8,
  logBuf: 12, // u8[4096]
  cmdRing: 4108,
  cursorRing: 4640,
  releaseRing: 5172,
  updateArea: 5256,
  updateSurface: 5272,
  memSlot: 5276,
  createSurface: 5292,
  flags: 5332,
  monitorsConfig: 5340,
  size: 5348,
} as const;
/** QXL_RAM_MAGIC: "QXRA" read as a little-endian u32. */
export const QXL_RAM_MAGIC = 0x41525851;

export const COMMAND_RING: RingSpec = { offset: QxlRam.cmdRing, numItems: QXL_COMMAND_RING_SIZE, itemSize: QXL_COMMAND_SIZE };
export const CURSOR_RING: RingSpec = { offset: QxlRam.cursorRing, numItems: QXL_CURSOR_RING_SIZE, itemSize: QXL_COMMAND_SIZE };
export const RELEASE_RING: RingSpec = { offset: QxlRam.releaseRing, numItems: QXL_RELEASE_RING_SIZE, itemSize: 8 };

/**
 * Our device memory: QXLRam at 0, then from HEAP_OFFSET to the end the area the producer
 * allocates command structs and bitmaps in (heap.ts), reached through memory slots.
 */
export const HEAP_OFFSET = 8192;

/**
 * Ours, in the free bytes between QXLRam and the heap: a u32 the host bumps (Atomics) before each
 * write of its own into the surface, so the red-worker knows which writes a snapshot may contain.
 */
export const WRITE_GENERATION_OFFSET = 5352;
/**
 * Ours too: a u32 counting the pool threads reading the surface in place now (an MJPEG frame,
 * compress-job.ts's `inPlace`); while it is not 0 the host holds its writes into the surface (at
 * most 10 ms: QxlDevice.waitForReaders) and reads QEMU's pixels into a buffer of its own rather
 * than straight into the surface for as long as they take to come.
 */
export const SURFACE_READERS_OFFSET = 5356;
