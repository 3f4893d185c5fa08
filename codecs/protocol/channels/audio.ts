import { channelProtocol } from '../table.js';
import { array, empty, rest, struct, u16, u32, u8 } from '../wire.js';
import { baseClient, baseServer } from './base.js';

// The playback and record channels (spice.proto PlaybackChannel, RecordChannel).

/** One volume per channel, 0..65535 (spice.proto AudioVolume). */
const volume = struct('volume', { volume: array(u8, u16, 16) });
const mute = struct('mute', { mute: u8 });
/** audio_data_mode is an enum16; `data` is empty in practice (spice-server sends none). */
const mode = struct('mode', { time: u32, mode: u16, data: rest });

export const playbackProtocol = channelProtocol(
  'playback',
  {
    ...baseServer,
    data: [101, struct('data', { time: u32, data: rest })],
    mode: [102, mode],
    start: [103, struct('start', { channels: u32, format: u16, frequency: u32, time: u32 })],
    stop: [104, empty],
    volume: [105, volume],
    mute: [106, mute],
    latency: [107, struct('latency', { latency_ms: u32 })],
  },
  baseClient,
);

export const recordProtocol = channelProtocol(
  'record',
  {
    ...baseServer,
    start: [101, struct('start', { channels: u32, format: u16, frequency: u32 })],
    stop: [102, empty],
    volume: [103, volume],
    mute: [104, mute],
  },
  {
    ...baseClient,
    data: [101, struct('data', { time: u32, data: rest })],
    mode: [102, mode],
    start_mark: [103, struct('start_mark', { time: u32 })],
  },
);
