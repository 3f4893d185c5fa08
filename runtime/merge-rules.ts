import type { Msg } from './message.js';

type Field<M> = Exclude<keyof M, 'kind'> & string;
type NumericField<M> = { [F in keyof M]: M[F] extends number ? F : never }[keyof M] & string;

/**
 * What may become of a message of one kind while it waits in an outbox, declared per kind where
 * the link is declared (the port), so that the rules read as data and are tested as a table. A
 * kind without a rule is delivered as sent. A rule only meets queued messages of its own kind at
 * the tail of the queue: a message of any other kind queued after them (a key, a button) stops
 * it, so nothing is ever reordered past one, and the merged message goes at the tail.
 * - `latest`: only the newest is worth sending (a cursor or pointer position): the queued one
 *   goes. With `key`, only one with the same values of those fields does (a position per display),
 *   looking past those of the same kind with other values.
 * - `sum`: those fields add up into one message (relative motion); it merges only with the
 *   message at the tail, with the same `key` values (a motion with other buttons down stays).
 */
type MergeRule<M extends Msg> = { readonly key?: readonly Field<M>[] } & (
  | { readonly latest: true }
  | { readonly sum: readonly NumericField<M>[] }
);

/** The rules of the messages `M` one end of a link sends, by kind. */
export type MergeRules<M extends Msg> = { readonly [K in M['kind']]?: MergeRule<Extract<M, { kind: K }>> };

/** Rules as a link applies them, their fields checked where they were declared (`MergeRules`). */
export type RuleTable = Readonly<
  Record<string, { readonly latest?: true; readonly sum?: readonly string[]; readonly key?: readonly string[] } | undefined>
>;

/** A queued message; requests (`pinned`) are never merged, someone awaits their reply. */
export interface Queued<M extends Msg> {
  readonly msg: M;
  readonly pinned?: boolean;
}

/**
 * Applies the rule of `msg` to `queue`: removes the queued message it merges with (`replaced`)
 * and returns the message to queue at the tail in its stead (`msg` itself, or the sum).
 */
export function mergeInto<Q extends Queued<Msg>>(queue: Q[], msg: Q['msg'], rules: RuleTable): { msg: Q['msg']; replaced?: Q } {
  const rule = rules[msg.kind];
  if (!rule) return { msg };
  const fields = msg as unknown as Record<string, unknown>;
  const sameKey = (q: Msg) => (rule.key ?? []).every((f) => (q as unknown as Record<string, unknown>)[f] === fields[f]);
  // A sum merges with the tail only; `latest` looks past its own kind's other keys.
  const reach = rule.sum ? Math.max(0, queue.length - 1) : 0;
  for (let i = queue.length - 1; i >= reach; i--) {
    const q = queue[i]!;
    if (q.pinned || q.msg.kind !== msg.kind) break;
    if (!sameKey(q.msg)) continue;
    queue.splice(i, 1);
    if (!rule.sum) return { msg, replaced: q };
    const queued = q.msg as unknown as Record<string, number>;
    const sum = Object.fromEntries(rule.sum.map((f) => [f, queued[f]! + (fields[f] as number)]));
    return { msg: { ...msg, ...sum }, replaced: q };
  }
  return { msg };
}
