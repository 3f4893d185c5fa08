/**
 * The channels this server has (the tunnels join as they are built). A module of its
 * own so that the server actor can name them without loading the settings schema (zod, ~200 ms
 * per thread).
 */
export const channelNames = ['main', 'display', 'inputs', 'cursor', 'playback', 'record'] as const;
export type ChannelName = (typeof channelNames)[number];
