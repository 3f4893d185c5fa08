import type { MemSlot } from '../../codecs/qxl/memslot.js';
import type { QxlPhysical } from './layout.js';

/**
 * How a QXLPHYSICAL splits (spice-server memslot.c): the top `idBits` are the slot id, the next
 * `generationBits` the slot's generation, the rest an address inside the slot. QEMU's qxl uses 8
 * and 8 with 8 slots (the default count here).
 */
export interface MemSlotBits {
  readonly idBits: number;
  readonly generationBits: number;
}
export const QEMU_MEMSLOT_BITS: MemSlotBits = { idBits: 8, generationBits: 8 };

export type AddressProblem = 'slot-id' | 'no-slot' | 'generation' | 'range';
/** An address that resolves to nothing: the command that carried it must be dropped. */
export interface AddressError {
  readonly error: 'bad-address';
  readonly problem: AddressProblem;
  readonly address: QxlPhysical;
}

/** The memory slots one side knows, and the checked translation of addresses through them. */
export class MemSlots {
  readonly #slots: (MemSlot | undefined)[];
  readonly #idShift: bigint;
  readonly #genShift: bigint;
  readonly #genMask: bigint;
  readonly #addressMask: bigint;

  constructor(
    readonly bits: MemSlotBits = QEMU_MEMSLOT_BITS,
    count = Math.min(8, 2 ** bits.idBits),
  ) {
    const { idBits, generationBits } = bits;
    if (!(idBits >= 1 && generationBits >= 0 && idBits + generationBits <= 32 && count >= 1 && count <= 2 ** idBits)) {
      throw new RangeError(`memslot bits ${idBits}+${generationBits} with ${count} slots`);
    }
    this.#slots = new Array<MemSlot | undefined>(count).fill(undefined);
    this.#idShift = BigInt(64 - idBits);
    this.#genShift = BigInt(64 - idBits - generationBits);
    this.#genMask = (1n << BigInt(generationBits)) - 1n;
    this.#addressMask = (1n << this.#genShift) - 1n;
  }

  /** Adds (or replaces) a slot; a slot outside what the address bits can say is a programming error. */
  add(slot: MemSlot): void {
    const { id, generation, start, end } = slot;
    const ok =
      Number.isInteger(id) &&
      id >= 0 &&
      id < this.#slots.length &&
      Number.isInteger(generation) &&
      generation >= 0 &&
      BigInt(generation) <= this.#genMask &&
      Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) &&
      start >= 0 &&
      start < end &&
      BigInt(end) <= this.#addressMask + 1n;
    if (!ok)
      throw new RangeError(
        `memory slot ${JSON.stringify(slot)} does not fit ${this.bits.idBits}+${this.bits.generationBits} bits and ${this.#slots.length} slots`,
      );
    this.#slots[id] = { id, generation, start, end };
  }

  delete(id: number): void {
    if (id >= 0 && id < this.#slots.length) this.#slots[id] = undefined;
  }

  /** The address of byte `offset` of the memory, through slot `id` (producer side). */
  encode(id: number, offset: number): QxlPhysical {
    const slot = this.#slots[id];
    if (slot === undefined || !Number.isSafeInteger(offset) || offset < slot.start || offset >= slot.end) {
      throw new RangeError(`offset ${offset} is not in memory slot ${id}`);
    }
    return ((BigInt(id) << this.#idShift) | (BigInt(slot.generation) << this.#genShift) | BigInt(offset)) as QxlPhysical;
  }

  /**
   * The memory offset of the `size` bytes at `address`, if they all lie in one live slot of the
   * address's generation (memslot_get_virt, with the slot id checked against the count, not
   * one past it).
   */
  resolve(address: QxlPhysical, size: number): number | AddressError {
    const found = this.#locate(address);
    if ('error' in found) return found;
    const { offset, slot } = found;
    if (!(Number.isSafeInteger(size) && size >= 0 && offset + size <= slot.end)) return { error: 'bad-address', problem: 'range', address };
    return offset;
  }

  /** How many bytes from `address` to the end of its slot: the bound for structs of unknown length (memslot_max_size_virt). */
  available(address: QxlPhysical): { offset: number; length: number } | AddressError {
    const found = this.#locate(address);
    if ('error' in found) return found;
    const { offset, slot } = found;
    return { offset, length: slot.end - offset };
  }

  #locate(address: QxlPhysical): { offset: number; slot: MemSlot } | AddressError {
    const a = BigInt.asUintN(64, address);
    const id = Number(a >> this.#idShift);
    if (id >= this.#slots.length) return { error: 'bad-address', problem: 'slot-id', address };
    const slot = this.#slots[id];
    if (slot === undefined) return { error: 'bad-address', problem: 'no-slot', address };
    if (Number((a >> this.#genShift) & this.#genMask) !== slot.generation) return { error: 'bad-address', problem: 'generation', address };
    const low = a & this.#addressMask;
    if (low < BigInt(slot.start) || low >= BigInt(slot.end)) return { error: 'bad-address', problem: 'range', address };
    return { offset: Number(low), slot };
  }
}
