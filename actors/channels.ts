import type { ChannelAddress } from './contracts.js';

/** SPICE channel type numbers (spice-protocol enums.h). */
export const ChannelType = {
  main: 1,
  display: 2,
  inputs: 3,
  cursor: 4,
  playback: 5,
  record: 6,
  smartcard: 8,
  usbredir: 9,
  port: 10,
  webdav: 11,
} as const;
export type ChannelTypeName = keyof typeof ChannelType;

const names = Object.fromEntries(Object.entries(ChannelType).map(([k, v]) => [v, k])) as Record<number, ChannelTypeName>;
export const channelTypeName = (type: number): string => names[type] ?? `type ${type}`;

/** The actor serving a channel: one per channel type, or per display for display and cursor. */
export function channelActorName({ type, id }: ChannelAddress): string {
  const name = channelTypeName(type);
  return type === ChannelType.display || type === ChannelType.cursor ? `${name}-${id}` : name;
}

/** Channel caps the server advertises at link time, per channel type (bit numbers from enums.h). */
export const serverChannelCaps: Partial<Record<number, readonly number[]>> = {
  // NAME_AND_UUID 1, AGENT_CONNECTED_TOKENS 2; no migration caps until migration exists.
  [ChannelType.main]: [(1 << 1) | (1 << 2)],
  // KEY_SCANCODE 0
  [ChannelType.inputs]: [1 << 0],
  [ChannelType.cursor]: [],
};
