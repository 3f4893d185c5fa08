import type { Handoff } from './channel-client/handoff.js';

/**
 * The typed ports between the companion's actors, declared in one place. Each `…Link` type is
 * one end of a peer link as its first-named actor sees it (the other end is its `Flip`).
 */

/** A channel as it exists on this server: type number and id (e.g. display 0, cursor 0). */
export interface ChannelAddress {
  readonly type: number;
  readonly id: number;
}

/** The server actor hands linked connections to a channel actor and hears when they end. */
export interface ServerToChannel {
  send: Handoff | { kind: 'end-session'; session: number };
  recv: { kind: 'main-closed'; session: number };
  asks: {};
  answers: {};
}

/** Input events for the VDI host (QEMU bridge, demo host). Key codes are PC set-1 scancodes, E0-prefixed ones as 0xE0xx. */
export type InputEvent =
  | { kind: 'key'; code: number; down: boolean }
  | { kind: 'mouse-motion'; dx: number; dy: number; buttons: number }
  | { kind: 'mouse-position'; x: number; y: number; buttons: number; display: number }
  | { kind: 'mouse-buttons'; buttons: number; button: number; down: boolean }
  | { kind: 'lock-keys'; modifiers: number };

/** The inputs channel feeds the host; the host reports keyboard LEDs back. */
export interface InputsToHost {
  send: InputEvent;
  recv: { kind: 'leds'; modifiers: number };
  asks: {};
  answers: {};
}

/** The host tells the main channel whether it takes absolute pointer positions (client mouse mode). */
export interface MainToHost {
  send: never;
  recv: { kind: 'mouse-absolute'; absolute: boolean };
  asks: {};
  answers: {};
}
