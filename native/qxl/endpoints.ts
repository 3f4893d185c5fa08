import { heapRange } from './device-memory.js';
import { DeviceHeap } from './heap.js';
import { COMMAND_RING, CURSOR_RING, QXL_RELEASE_INFO_SIZE, type QxlCommand, type QxlPhysical, type QxlReleaseId } from './layout.js';
import type { MemSlot } from '../../codecs/qxl/memslot.js';
import { MemSlots, QEMU_MEMSLOT_BITS, type AddressError, type MemSlotBits } from './memslots.js';
import { ReleaseReader, ReleaseWriter, type ReleaseError } from './release.js';
import { CommandRing, type RingError } from './ring.js';

function checkSlot(memory: SharedArrayBuffer, slot: MemSlot): void {
  const heap = heapRange(memory);
  if (slot.start < heap.start || slot.end > heap.end)
    throw new RangeError(`memory slot [${slot.start}, ${slot.end}) is not within the heap [${heap.start}, ${heap.end})`);
}

/** A struct allocated in the device memory: where it is for us, and its address for the consumer. */
export interface Allocated {
  readonly offset: number;
  readonly address: QxlPhysical;
}

/**
 * The producer's view of a device memory (the QEMU bridge, the demo host): it allocates command
 * structs in the heap behind one memory slot, pushes commands, and takes structs back from the
 * release ring. Its release ids are the structs' own addresses, so a released id resolves
 * straight back to heap memory.
 */
export class QxlProducer {
  readonly commands: CommandRing;
  readonly cursor: CommandRing;
  readonly releases: ReleaseReader;
  readonly heap: DeviceHeap;
  readonly slots: MemSlots;
  readonly #view: DataView;
  readonly #take = (id: QxlReleaseId): number | undefined => {
    const at = this.slots.resolve(id as bigint as QxlPhysical, QXL_RELEASE_INFO_SIZE);
    return typeof at === 'number' && this.heap.free(at) ? at : undefined;
  };

  /** `slot` must lie within the heap; `wakeConsumer` signals the consumer's eventfd. */
  constructor(
    memory: SharedArrayBuffer,
    readonly slot: MemSlot,
    wakeConsumer: () => void,
    bits: MemSlotBits = QEMU_MEMSLOT_BITS,
  ) {
    checkSlot(memory, slot);
    this.commands = new CommandRing(memory, COMMAND_RING, wakeConsumer);
    this.cursor = new CommandRing(memory, CURSOR_RING, wakeConsumer);
    this.releases = new ReleaseReader(memory, wakeConsumer);
    this.slots = new MemSlots(bits);
    this.slots.add(slot);
    this.heap = new DeviceHeap(slot.start, slot.end);
    this.#view = new DataView(memory);
  }

  /**
   * `size` bytes for a command struct, its QXLReleaseInfo id set: undefined when the heap is full
   * (collect releases, or wait for them).
   */
  allocCommand(size: number): Allocated | undefined {
    if (size < QXL_RELEASE_INFO_SIZE) throw new RangeError('a command struct starts with its 8-byte QXLReleaseInfo');
    const offset = this.heap.alloc(size);
    if (offset === undefined) return undefined;
    const address = this.slots.encode(this.slot.id, offset);
    this.#view.setBigUint64(offset, address, true);
    return { offset, address };
  }

  /** Takes released structs back into the heap; `wait` arms the consumer's signal if there are none. */
  collectReleases(wait = false): number | RingError | ReleaseError {
    return this.releases.collect(this.#take, wait);
  }
}

/**
 * The consumer's view (the red-worker): pops commands, resolves their addresses through the
 * slots it was told of, and releases each struct when done with it.
 */
export class QxlConsumer {
  readonly commands: CommandRing;
  readonly cursor: CommandRing;
  readonly releases: ReleaseWriter;
  readonly slots: MemSlots;

  /** `slots` must lie within the heap; `wakeProducer` signals the producer's eventfd. */
  constructor(
    memory: SharedArrayBuffer,
    slots: readonly MemSlot[],
    wakeProducer: () => void,
    bits: MemSlotBits = QEMU_MEMSLOT_BITS,
    releaseBatch = 32,
  ) {
    this.commands = new CommandRing(memory, COMMAND_RING, wakeProducer);
    this.cursor = new CommandRing(memory, CURSOR_RING, wakeProducer);
    this.releases = new ReleaseWriter(memory, wakeProducer, releaseBatch);
    this.slots = new MemSlots(bits);
    for (const s of slots) {
      checkSlot(memory, s); // so every resolved address is inside the memory
      this.slots.add(s);
    }
  }

  /** Hands a processed command's struct back to the producer. */
  release(cmd: QxlCommand): AddressError | RingError | undefined {
    const info = this.slots.resolve(cmd.data, QXL_RELEASE_INFO_SIZE);
    return typeof info === 'number' ? this.releases.release(info) : info;
  }
}
