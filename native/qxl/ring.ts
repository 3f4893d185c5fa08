import {
  QXL_COMMAND_SIZE,
  RING_HEADER_SIZE,
  RingWord,
  ringBytes,
  isQxlCmdType,
  type QxlCommand,
  type QxlPhysical,
  type RingSpec,
} from './layout.js';

/** The other side wrote ring indexes that cannot be: more items in flight than the ring holds. */
export interface RingError {
  readonly error: 'corrupt-ring';
  readonly prod: number;
  readonly cons: number;
}

/**
 * One SPICE_RING in shared memory, with the index protocol of ipc_ring.h. Each side keeps its
 * own view; the indexes are read and written with Atomics (sequentially consistent), so an item
 * written before push() is seen by a consumer that saw the new prod, in any thread or process.
 *
 * Sleeping without missing a wake-up: a side that finds the ring empty (consumer) or full
 * (producer) arms notify_on_prod = prod + 1 (resp. notify_on_cons = cons + 1) and looks again;
 * the other side's next push (pop) that reaches that index asks for a wake-up. So a busy consumer
 * costs the producer no signal at all.
 *
 * num_items in the memory is written by init() but never trusted: the spec's count is used.
 */
export class SpiceRing {
  readonly #words: Uint32Array;
  readonly #items: number;
  readonly #mask: number;

  constructor(
    memory: SharedArrayBuffer,
    readonly spec: RingSpec,
  ) {
    const { offset, numItems, itemSize } = spec;
    const pow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
    if (offset % 4 !== 0 || !pow2(numItems) || !pow2(itemSize) || offset + ringBytes(spec) > memory.byteLength) {
      throw new RangeError(`ring spec ${JSON.stringify(spec)} does not fit a ${memory.byteLength}-byte memory`);
    }
    this.#words = new Uint32Array(memory, offset, RING_HEADER_SIZE / 4);
    this.#items = offset + RING_HEADER_SIZE;
    this.#mask = numItems - 1;
  }

  /** SPICE_RING_INIT: by the side that creates the memory, before the other side looks. */
  init(): void {
    const w = this.#words;
    Atomics.store(w, RingWord.numItems, this.spec.numItems);
    Atomics.store(w, RingWord.prod, 0);
    Atomics.store(w, RingWord.cons, 0);
    Atomics.store(w, RingWord.notifyOnProd, 1);
    Atomics.store(w, RingWord.notifyOnCons, 0);
  }

  /** Items published and not yet popped. */
  get length(): number {
    return (Atomics.load(this.#words, RingWord.prod) - Atomics.load(this.#words, RingWord.cons)) >>> 0;
  }

  /**
   * Producer: the byte offset of the item to fill next, or undefined if the ring is full (keeping
   * `spare` items free), in which case the consumer will signal when it pops
   * (SPICE_RING_PROD_WAIT).
   */
  producerSlot(spare = 0): number | undefined | RingError {
    const w = this.#words;
    const full = this.spec.numItems - spare;
    const prod = Atomics.load(w, RingWord.prod);
    let cons = Atomics.load(w, RingWord.cons);
    if ((prod - cons) >>> 0 >= full) {
      Atomics.store(w, RingWord.notifyOnCons, (cons + 1) >>> 0);
      cons = Atomics.load(w, RingWord.cons);
    }
    const used = (prod - cons) >>> 0;
    if (used > this.spec.numItems) return { error: 'corrupt-ring', prod, cons };
    return used >= full ? undefined : this.producerItem();
  }

  /** Producer: the byte offset of the item at prod, full or not. */
  producerItem(): number {
    return this.#items + (Atomics.load(this.#words, RingWord.prod) & this.#mask) * this.spec.itemSize;
  }

  /** Producer: publishes the filled item (SPICE_RING_PUSH); true if the consumer asked to be woken. */
  push(): boolean {
    const prod = (Atomics.load(this.#words, RingWord.prod) + 1) >>> 0;
    Atomics.store(this.#words, RingWord.prod, prod);
    return Atomics.load(this.#words, RingWord.notifyOnProd) === prod;
  }

  /**
   * Consumer: the byte offset of the next item, or undefined if the ring is empty. Unless told
   * not to (when only looking in passing), it then arms the producer's signal for its next push
   * (SPICE_RING_CONS_WAIT).
   */
  consumerSlot(arm = true): number | undefined | RingError {
    const w = this.#words;
    const cons = Atomics.load(w, RingWord.cons);
    let prod = Atomics.load(w, RingWord.prod);
    if (prod === cons) {
      if (!arm) return undefined;
      Atomics.store(w, RingWord.notifyOnProd, (prod + 1) >>> 0);
      prod = Atomics.load(w, RingWord.prod);
      if (prod === cons) return undefined;
    }
    if ((prod - cons) >>> 0 > this.spec.numItems) return { error: 'corrupt-ring', prod, cons };
    return this.#items + (cons & this.#mask) * this.spec.itemSize;
  }

  /** Consumer: frees the item just read (SPICE_RING_POP); true if the producer asked to be woken. */
  pop(): boolean {
    const cons = (Atomics.load(this.#words, RingWord.cons) + 1) >>> 0;
    Atomics.store(this.#words, RingWord.cons, cons);
    return Atomics.load(this.#words, RingWord.notifyOnCons) === cons;
  }
}

/** A bad command read off the ring: its type is none of QXLCmdType. */
export interface CommandError {
  readonly error: 'bad-command-type';
  readonly type: number;
}

/**
 * The command ring or the cursor ring (QXLCommand items), seen from one side. `wakePeer` signals
 * the other side (its eventfd) when the ring protocol says it is waiting.
 */
export class CommandRing {
  readonly ring: SpiceRing;
  readonly #view: DataView;

  constructor(
    memory: SharedArrayBuffer,
    spec: RingSpec,
    private readonly wakePeer: () => void,
  ) {
    if (spec.itemSize !== QXL_COMMAND_SIZE) throw new RangeError('a command ring holds 16-byte QXLCommands');
    this.ring = new SpiceRing(memory, spec);
    this.#view = new DataView(memory);
  }

  /** Producer: queues `cmd`; false if the ring is full (the consumer wakes us when it pops). */
  push(cmd: QxlCommand): boolean | RingError {
    const at = this.ring.producerSlot();
    if (at === undefined || typeof at === 'object') return at ?? false;
    this.#view.setBigUint64(at, cmd.data, true);
    this.#view.setUint32(at + 8, cmd.type, true);
    this.#view.setUint32(at + 12, 0, true);
    if (this.ring.push()) this.wakePeer();
    return true;
  }

  /** Consumer: the next command, or undefined if there is none (the producer wakes us when it pushes). */
  pop(): QxlCommand | undefined | RingError | CommandError {
    const at = this.ring.consumerSlot();
    if (at === undefined || typeof at === 'object') return at;
    const data = this.#view.getBigUint64(at, true) as QxlPhysical;
    const type = this.#view.getUint32(at + 8, true);
    if (this.ring.pop()) this.wakePeer();
    // Popped even when bad, so one bad command does not wedge the ring.
    return isQxlCmdType(type) ? { type, data } : { error: 'bad-command-type', type };
  }
}
