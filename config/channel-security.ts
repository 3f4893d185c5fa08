import type { Config } from './settings.js';
import { channelNames, type ChannelName } from './channel-names.js';

/** The channels a client may link only over TLS: those named, or with `default` all but the plaintext ones (spice-server's channel security). */
export function tlsOnlyChannels(config: Pick<Config, 'secure-channels' | 'plaintext-channels'>): ChannelName[] {
  const secure = config['secure-channels'];
  if (!secure.includes('default')) return secure.filter((c): c is ChannelName => c !== 'default');
  return channelNames.filter((c) => secure.includes(c) || !config['plaintext-channels'].includes(c));
}
