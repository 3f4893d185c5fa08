/**
 * What a decoder returns: malformed input is a value, never an exception or an out-of-range
 * read, so that a hostile stream costs one log line.
 */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const decodeError = (error: string): Decoded<never> => ({ ok: false, error });

/** Malformed input, thrown inside a decoder and caught where it returns its `Decoded`, never beyond. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}
