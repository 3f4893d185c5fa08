import type { Msg } from './message.js';

/**
 * How a message that has to wait in an outbox treats what is already queued, declared per
 * kind so that the rules read as data and are tested as such:
 * - `latest`: only the newest message of this kind (and, with `key`, of the same value of that
 *   field) is worth sending; a queued older one is dropped (a cursor position, a mouse state).
 * - `flushes`: queued messages of these kinds become worthless once this one is queued
 *   (a surface resize makes queued bitmaps of the old size useless).
 */
export interface MergeRule<M extends Msg = Msg, Kinds extends string = string> {
  readonly latest?: boolean;
  readonly key?: keyof M & string;
  readonly flushes?: readonly Kinds[];
}

export type MergeRules<M extends Msg> = { readonly [K in M['kind']]?: MergeRule<Extract<M, { kind: K }>, M['kind']> };

/** A queued message; requests (`pinned`) are never dropped, someone awaits their reply. */
export interface Queued<M extends Msg> {
  readonly msg: M;
  readonly pinned?: boolean;
}

/** Applies the rule of `msg` to `queue` in place; returns how many queued messages were dropped. */
export function mergeInto<M extends Msg, Q extends Queued<M>>(queue: Q[], msg: M, rules: MergeRules<M>): number {
  const rule = (rules as Record<string, MergeRule<M, M['kind']> | undefined>)[msg.kind];
  if (!rule || (!rule.latest && !rule.flushes?.length)) return 0;
  const key = rule.key;
  const superseded = ({ msg: q, pinned }: Q): boolean =>
    !pinned &&
    ((rule.latest === true && q.kind === msg.kind && (key === undefined || q[key] === msg[key])) ||
      (rule.flushes?.includes(q.kind) ?? false));
  let kept = 0;
  for (const q of queue) if (!superseded(q)) queue[kept++] = q;
  const dropped = queue.length - kept;
  queue.length = kept;
  return dropped;
}
