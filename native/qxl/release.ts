import { RELEASE_RING, type QxlReleaseId, type RingSpec } from './layout.js';
import { SpiceRing, type RingError } from './ring.js';

/**
 * The release ring as QEMU's qxl device fills it: the item at prod (not yet published) heads a
 * chain of released structs, linked through their QXLReleaseInfo (each struct's `id` is
 * overwritten with the `next` id, 0 ending the chain). A chain is published once it holds
 * `batch` releases, or on flush(), and only while that leaves the item at prod free, so
 * releasing never waits: when the ring is full the chain just grows.
 *
 * This is the consumer's side (the red-worker releases what it has finished with). The memory
 * offsets given to release() are the consumer's own, resolved from the command it processed.
 */
export class ReleaseWriter {
  readonly ring: SpiceRing;
  readonly #view: DataView;
  /** Offset of the last struct in the pending chain, undefined while no chain is pending. */
  #last: number | undefined;
  #pending = 0;

  constructor(
    memory: SharedArrayBuffer,
    private readonly wakePeer: () => void,
    readonly batch = 32,
    spec: RingSpec = RELEASE_RING,
  ) {
    if (spec.itemSize !== 8 || spec.numItems < 2) throw new RangeError('a release ring holds at least two u64 items');
    this.ring = new SpiceRing(memory, spec);
    this.#view = new DataView(memory);
  }

  /** Releases held back, not yet published. */
  get pending(): number {
    return this.#pending;
  }

  /** Hands back the struct whose QXLReleaseInfo is at memory offset `info` (8 bytes, checked by the caller). */
  release(info: number): RingError | undefined {
    const id = this.#view.getBigUint64(info, true);
    this.#view.setBigUint64(info, 0n, true);
    // The item at prod is free: a chain is published only while another stays free (#publish).
    const link = this.#last ?? this.ring.producerItem();
    this.#view.setBigUint64(link, id, true);
    this.#last = info;
    this.#pending++;
    return this.#pending >= this.batch ? this.#publish() : undefined;
  }

  /** Publishes the pending chain if there is room; call when idle. Without room it is published on a later call, and the reader's pop wakes us. */
  flush(): RingError | undefined {
    return this.#pending > 0 ? this.#publish() : undefined;
  }

  #publish(): RingError | undefined {
    const room = this.ring.producerSlot(1);
    if (room === undefined || typeof room === 'object') return room;
    if (this.ring.push()) this.wakePeer();
    this.#last = undefined;
    this.#pending = 0;
    return undefined;
  }
}

/** A release the producer does not recognise: not one of its live structs (or released twice, or a cycle). */
export interface ReleaseError {
  readonly error: 'bad-release';
  readonly id: QxlReleaseId;
}

/** The producer's side of the release ring: takes back the chains the consumer published. */
export class ReleaseReader {
  readonly ring: SpiceRing;
  readonly #view: DataView;

  constructor(
    memory: SharedArrayBuffer,
    private readonly wakePeer: () => void,
    spec: RingSpec = RELEASE_RING,
  ) {
    if (spec.itemSize !== 8) throw new RangeError('a release ring holds u64 items');
    this.ring = new SpiceRing(memory, spec);
    this.#view = new DataView(memory);
  }

  /**
   * Takes every published chain. For each released id, `take(id)` must free that struct and
   * return the memory offset of its QXLReleaseInfo (where the chain goes on), or undefined if the
   * id is not a live one; freed memory must not be reused before collect() returns. With `wait`,
   * an empty ring arms the consumer's signal for its next publish: pass it before sleeping.
   * Returns how many structs came back.
   */
  collect(take: (id: QxlReleaseId) => number | undefined, wait = false): number | RingError | ReleaseError {
    let count = 0;
    for (;;) {
      const at = this.ring.consumerSlot(wait);
      if (at === undefined) return count;
      if (typeof at === 'object') return at;
      let id = this.#view.getBigUint64(at, true) as QxlReleaseId;
      if (this.ring.pop()) this.wakePeer();
      while (id !== 0n) {
        const info = take(id);
        if (info === undefined) return { error: 'bad-release', id };
        id = this.#view.getBigUint64(info, true) as QxlReleaseId;
        count++;
      }
    }
  }
}
