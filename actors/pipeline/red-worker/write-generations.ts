import { WRITE_GENERATION_OFFSET } from '../../../native/qxl/layout.js';

/**
 * Which of the host's writes into the surface the client's picture may already hold: the host
 * counts its writes in the device memory (bumped before each), and the generation read after a
 * snapshot ends bounds what that snapshot may show. A move the host found in its write G reads
 * the picture from before G, so it holds only while no snapshot may show G or later.
 */
export class WriteGenerations {
  private word: Uint32Array | null = null;
  private latest = 0;

  /** A new device: what it counted so far may all be shown already. */
  attach(memory: SharedArrayBuffer): void {
    this.word = new Uint32Array(memory, WRITE_GENERATION_OFFSET, 1);
    this.latest = Atomics.load(this.word, 0);
  }

  /** A snapshot of the surface just ended. */
  snapshotted(): void {
    if (this.word) this.latest = Atomics.load(this.word, 0);
  }

  /** The count now: read before a snapshot begins, every write below it is whole in the snapshot. */
  current(): number {
    return this.word ? Atomics.load(this.word, 0) : 0;
  }

  /** Whether a snapshot may show the write of `generation` or a later one (counted modulo 2^32). */
  mayShow(generation: number): boolean {
    return ((this.latest - generation) | 0) >= 0;
  }
}

/** Whether the write of `generation` ended (`endWrite` counts once more) before a snapshot that began when the count was `start`: it is whole in it. */
export const writtenBefore = (generation: number, start: number): boolean => ((start - generation) | 0) > 0;
