import { channelProtocol } from '../table.js';
import { empty, i32, rest, struct, u16, u32, u8 } from '../wire.js';
import { baseClient, baseServer } from './base.js';

const key = (name: string) => struct(name, { code: u32 });
const button = (name: string) => struct(name, { button: u8, buttons_state: u16 });

export const inputsProtocol = channelProtocol(
  'inputs',
  {
    ...baseServer,
    init: [101, struct('init', { keyboard_modifiers: u16 })],
    key_modifiers: [102, struct('key_modifiers', { modifiers: u16 })],
    mouse_motion_ack: [111, empty],
  },
  {
    ...baseClient,
    key_down: [101, key('key_down')],
    key_up: [102, key('key_up')],
    key_modifiers: [103, struct('key_modifiers', { modifiers: u16 })],
    key_scancode: [104, struct('key_scancode', { data: rest })],
    mouse_motion: [111, struct('mouse_motion', { dx: i32, dy: i32, buttons_state: u16 })],
    mouse_position: [112, struct('mouse_position', { x: u32, y: u32, buttons_state: u16, display_id: u8 })],
    mouse_press: [113, button('mouse_press')],
    mouse_release: [114, button('mouse_release')],
  },
);
