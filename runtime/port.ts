import type { FlowOptions, LinkOptions } from './link.js';
import type { MergeRules } from './merge-rules.js';
import type { Flip, LinkTypes } from './message.js';

declare const carries: unique symbol;

/** A link's flow control, and what may merge while it waits at either end (merge-rules.ts). */
export interface PortOptions<L extends LinkTypes> extends FlowOptions {
  /** Of what the `a` end sends; a kind without a rule is delivered as sent. */
  readonly rules?: MergeRules<L['send']>;
  /** Of what the `b` end sends. */
  readonly backRules?: MergeRules<L['recv']>;
}

/**
 * A peer link between two actors: their names, its flow control and merge rules, and its types
 * as its `a` end sees them (`b` sees the `Flip`). Declared once, it is both what the owner
 * connects and what each end takes, so the compiler checks that the two ends agree.
 */
export interface Port<L extends LinkTypes> {
  readonly a: string;
  readonly b: string;
  readonly options: PortOptions<L>;
  /** The link's types, for the compiler only: never set. */
  readonly [carries]?: L;
}

export const port = <L extends LinkTypes>(a: string, b: string, options: PortOptions<L> = {}): Port<L> => ({ a, b, options });

/** The same link as its `b` end takes it. */
export const flip = <L extends LinkTypes>(p: Port<L>): Port<Flip<L>> => {
  const { rules, backRules, ...flow } = p.options;
  return { a: p.b, b: p.a, options: { ...flow, ...(backRules ? { rules: backRules } : {}), ...(rules ? { backRules: rules } : {}) } };
};

/** How the `a` end of `p` is configured: the link's flow control and the rules of what it sends. */
export const endOptions = <L extends LinkTypes>(p: Port<L>): LinkOptions<L['send']> => {
  const { rules, backRules: _, ...flow } = p.options;
  return { ...flow, ...(rules ? { rules } : {}) };
};
