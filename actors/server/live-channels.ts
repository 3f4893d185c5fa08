import type { LiveChannel } from '../contracts.js';

/**
 * The channel connections linked and not closed yet, by session, for the control plane: a
 * session has at most one connection per channel (a new one replaces the old), so this holds no
 * more than the connections open.
 */
export class LiveChannels {
  private readonly sessions = new Map<number, Map<string, LiveChannel & { readonly peer: string }>>();

  add(channel: LiveChannel, peer: string): void {
    let channels = this.sessions.get(channel.session);
    if (!channels) this.sessions.set(channel.session, (channels = new Map()));
    channels.set(`${channel.channelType}:${channel.channelId}`, { ...channel, peer });
  }

  /** A connection closed; one that has since been replaced by a newer one (another peer) stays. */
  closed(session: number, channelType: number, channelId: number, peer: string): void {
    const channels = this.sessions.get(session);
    const key = `${channelType}:${channelId}`;
    if (channels?.get(key)?.peer !== peer) return;
    channels.delete(key);
    if (channels.size === 0) this.sessions.delete(session);
  }

  has(session: number): boolean {
    return this.sessions.has(session);
  }

  endSession(session: number): void {
    this.sessions.delete(session);
  }

  list(): LiveChannel[] {
    return [...this.sessions.values()].flatMap((channels) => [...channels.values()].map(({ peer: _, ...channel }) => channel));
  }
}
