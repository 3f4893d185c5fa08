import { capWords, ChannelType, DisplayCap, InputsCap, MainCap, type ChannelTypeName } from '../codecs/protocol/enums.js';
import type { ChannelAddress } from './contracts.js';

export { ChannelType, type ChannelTypeName };

const names = Object.fromEntries(Object.entries(ChannelType).map(([k, v]) => [v, k])) as Record<number, ChannelTypeName>;
export const channelTypeName = (type: number): string => names[type] ?? `type ${type}`;

/** The actor serving a channel: one per channel type, or per display for display and cursor. */
export function channelActorName({ type, id }: ChannelAddress): string {
  const name = channelTypeName(type);
  return type === ChannelType.display || type === ChannelType.cursor ? `${name}-${id}` : name;
}

/** Channel caps the server advertises at link time, per channel type. */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // No migration caps until migration exists.
  [ChannelType.main]: capWords([MainCap.nameAndUuid, MainCap.agentConnectedTokens]),
  [ChannelType.inputs]: capWords([InputsCap.keyScancode]),
  [ChannelType.cursor]: [],
  [ChannelType.display]: capWords([DisplayCap.monitorsConfig, DisplayCap.prefCompression]),
};
