import type { LinkOptions } from './link.js';
import type { Flip, LinkTypes } from './message.js';

declare const carries: unique symbol;

/**
 * A peer link between two actors: their names, its flow control, and its types as its `a`
 * end sees them (`b` sees the `Flip`). Declared once, it is both what the owner connects and
 * what each end takes, so the compiler checks that the two ends agree.
 */
export interface Port<L extends LinkTypes> {
  readonly a: string;
  readonly b: string;
  /** Flow control, the same at both ends. */
  readonly options: LinkOptions;
  /** The link's types, for the compiler only: never set. */
  readonly [carries]?: L;
}

export const port = <L extends LinkTypes>(a: string, b: string, options: LinkOptions = {}): Port<L> => ({ a, b, options });

/** The same link as its `b` end takes it. */
export const flip = <L extends LinkTypes>(p: Port<L>): Port<Flip<L>> => ({ a: p.b, b: p.a, options: p.options });
