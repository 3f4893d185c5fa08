/**
 * The channels this server has (the spicevmc ones only while QEMU has their chardevs). A module of its
 * own so that the server actor can name them without loading the settings schema (zod, ~200 ms
 * per thread).
 */
export const channelNames = [
  'main',
  'display',
  'inputs',
  'cursor',
  'playback',
  'record',
  'smartcard',
  'usbredir',
  'port',
  'webdav',
] as const;
export type ChannelName = (typeof channelNames)[number];
