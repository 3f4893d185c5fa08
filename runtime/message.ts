/** Every actor message is a plain object discriminated by `kind`. */
export interface Msg {
  readonly kind: string;
}

/** The message of `M` whose kind is `K`. */
export type OfKind<M extends Msg, K extends M['kind']> = Extract<M, { kind: K }>;

/**
 * The types carried by one end of a link: what this end sends and receives, the replies it
 * expects to the requests it sends (`asks`), and the replies it gives (`answers`), by kind.
 */
export interface LinkTypes {
  send: Msg;
  recv: Msg;
  asks: object;
  answers: object;
}

/** The same link seen from its other end. */
export type Flip<L extends LinkTypes> = { send: L['recv']; recv: L['send']; asks: L['answers']; answers: L['asks'] };

/**
 * An actor's contract: the data it starts with (`init`, structured-cloneable), what it accepts
 * (`in`), what it emits to its parent (`out`) and, for the messages of `in` that are requests,
 * the reply type by kind.
 */
export interface Contract {
  init: unknown;
  in: Msg;
  out: Msg;
  replies: object;
}

/** The actor's own end of the link with its parent. */
export type ActorSide<C extends Contract> = { send: C['out']; recv: C['in']; asks: {}; answers: C['replies'] };
/** The parent's end of the link with the actor. */
export type ParentSide<C extends Contract> = Flip<ActorSide<C>>;
