import { Cursor, Point16 } from '../structs.js';
import { channelProtocol } from '../table.js';
import { empty, struct, u16, u64, u8 } from '../wire.js';
import { baseClient, baseServer } from './base.js';

export const cursorProtocol = channelProtocol(
  'cursor',
  {
    ...baseServer,
    init: [101, struct('init', { position: Point16, trail_length: u16, trail_frequency: u16, visible: u8, cursor: Cursor })],
    reset: [102, empty],
    set: [103, struct('set', { position: Point16, visible: u8, cursor: Cursor })],
    move: [104, struct('move', { position: Point16 })],
    hide: [105, empty],
    trail: [106, struct('trail', { length: u16, frequency: u16 })],
    inval_one: [107, struct('inval_one', { id: u64 })],
    inval_all: [108, empty],
  },
  baseClient,
);
