import { ChannelId, DstInfo } from '../structs.js';
import { channelProtocol } from '../table.js';
import { array, counted, empty, fixedBytes, rest, struct, u16, u32, u64 } from '../wire.js';
import { baseClient, baseServer } from './base.js';

const tokens = (name: string) => struct(name, { num_tokens: u32 });
const data = (name: string) => struct(name, { data: rest });

export const mainProtocol = channelProtocol(
  'main',
  {
    ...baseServer,
    migrate_begin: [101, struct('migrate_begin', { dst_info: DstInfo })],
    migrate_cancel: [102, empty],
    init: [
      103,
      struct('init', {
        session_id: u32,
        display_channels_hint: u32,
        supported_mouse_modes: u32,
        current_mouse_mode: u32,
        agent_connected: u32,
        agent_tokens: u32,
        multi_media_time: u32,
        ram_hint: u32,
      }),
    ],
    channels_list: [104, struct('channels_list', { channels: array(u32, ChannelId) })],
    mouse_mode: [105, struct('mouse_mode', { supported_modes: u16, current_mode: u16 })],
    multi_media_time: [106, struct('multi_media_time', { time: u32 })],
    agent_connected: [107, empty],
    agent_disconnected: [108, struct('agent_disconnected', { error_code: u32 })],
    agent_data: [109, data('agent_data')],
    agent_token: [110, tokens('agent_token')],
    migrate_switch_host: [111, DstInfo],
    migrate_end: [112, empty],
    // The name's bytes include its NUL.
    name: [113, struct('name', { name: counted(u32) })],
    uuid: [114, struct('uuid', { uuid: fixedBytes(16) })],
    agent_connected_tokens: [115, tokens('agent_connected_tokens')],
    migrate_begin_seamless: [116, struct('migrate_begin_seamless', { dst_info: DstInfo, src_mig_version: u32 })],
    migrate_dst_seamless_ack: [117, empty],
    migrate_dst_seamless_nack: [118, empty],
  },
  {
    ...baseClient,
    client_info: [101, struct('client_info', { cache_size: u64 })],
    migrate_connected: [102, empty],
    migrate_connect_error: [103, empty],
    attach_channels: [104, empty],
    mouse_mode_request: [105, struct('mouse_mode_request', { mode: u16 })],
    agent_start: [106, tokens('agent_start')],
    agent_data: [107, data('agent_data')],
    agent_token: [108, tokens('agent_token')],
    migrate_end: [109, empty],
    migrate_dst_do_seamless: [110, struct('migrate_dst_do_seamless', { src_version: u32 })],
    migrate_connected_seamless: [111, empty],
    quality_indicator: [112, data('quality_indicator')],
  },
);
