import { ChannelWait } from '../structs.js';
import { array, empty, lengthOf, rest, sizedBy, struct, u32, u64, u8, u16 } from '../wire.js';

// Messages every channel has (spice.proto BaseChannel); channel tables spread these in.

export const baseServer = {
  migrate: [1, struct('migrate', { flags: u32 })],
  migrate_data: [2, struct('migrate_data', { data: rest })],
  set_ack: [3, struct('set_ack', { generation: u32, window: u32 })],
  ping: [4, struct('ping', { id: u32, timestamp: u64, data: rest })],
  wait_for_channels: [5, struct('wait_for_channels', { wait_list: array(u8, ChannelWait) })],
  disconnecting: [6, struct('disconnecting', { time_stamp: u64, reason: u32 })],
  // spice-server sends message_len = strlen and then the text with its NUL; `message` holds all of it.
  notify: [7, struct('notify', { time_stamp: u64, severity: u32, visibility: u32, what: u32, message_len: u32, message: rest })],
  list: [8, struct('list', { count: lengthOf('offsets', u16), offsets: sizedBy('count', u32), data: rest })],
} as const;

export const baseClient = {
  ack_sync: [1, struct('ack_sync', { generation: u32 })],
  ack: [2, empty],
  pong: [3, struct('pong', { id: u32, timestamp: u64 })],
  migrate_flush_mark: [4, empty],
  migrate_data: [5, struct('migrate_data', { data: rest })],
  disconnecting: [6, struct('disconnecting', { time_stamp: u64, reason: u32 })],
} as const;
