import type { Config } from './settings.js';
import { channelNames, type ChannelName } from './channel-names.js';

/**
 * The channels a client may link only over TLS: those named, or with `default` all but the
 * plaintext ones (spice-server's channel security); with `sasl` all of them, SASL being offered
 * over TLS only (a plain link gets NEED_SECURED, on which spice-gtk moves to the TLS port).
 */
export function tlsOnlyChannels(config: Pick<Config, 'secure-channels' | 'plaintext-channels' | 'sasl'>): ChannelName[] {
  if (config.sasl) return [...channelNames];
  const secure = config['secure-channels'];
  if (!secure.includes('default')) return secure.filter((c): c is ChannelName => c !== 'default');
  return channelNames.filter((c) => secure.includes(c) || !config['plaintext-channels'].includes(c));
}
