import { randomInt } from 'node:crypto';

export type SessionId = number & { readonly __brand: 'SessionId' };

/**
 * The client session, as spice-server keeps it: a main-channel link with connection id 0 starts
 * a new session with a random non-zero id (replacing the previous client, which is
 * disconnected); every other channel must link with the current session's id.
 */
export class Sessions {
  private current: SessionId | null = null;

  get active(): SessionId | null {
    return this.current;
  }

  /** A main link: the new session, and the one it replaces, if any. */
  startMain(): { session: SessionId; replaced: SessionId | null } {
    const replaced = this.current;
    let id: number;
    do id = randomInt(1, 2 ** 32 - 1);
    while (id === replaced);
    this.current = id as SessionId;
    return { session: this.current, replaced };
  }

  /** Whether a non-main link's connection id belongs to the live session. */
  accepts(connectionId: number): connectionId is SessionId {
    return this.current !== null && connectionId === this.current;
  }

  /** The main channel of `session` closed: the session is over. */
  end(session: SessionId): boolean {
    if (this.current !== session) return false;
    this.current = null;
    return true;
  }
}
