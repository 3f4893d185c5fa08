import type { Moved } from '../runtime/envelope.js';
import type { MonitorRequest } from './agent/endpoint.js';
import type { Handoff } from './channel-client/handoff.js';
import type { DeviceHandoff } from './qxl-host/device.js';

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
  send: Handoff | { kind: 'end-session'; session: number } | { kind: 'notify'; session: number; text: string };
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

/**
 * The main channel passes on the monitor layout a client asks for (its agent's
 * VD_AGENT_MONITORS_CONFIG), one entry per display channel; the host tells the main channel
 * whether it takes absolute pointer positions (client mouse mode).
 */
export interface MainToHost {
  send: { kind: 'monitors-config'; monitors: readonly MonitorRequest[] };
  recv:
    | { kind: 'mouse-absolute'; absolute: boolean }
    /** The VM's name and UUID (8-4-4-4-12 hex), as QEMU has them (-name, -uuid). */
    | { kind: 'vm'; name: string; uuid: string };
  asks: {};
  answers: {};
}

/** A cursor shape as the host defines it; `data` is exact (ALPHA: w*h*4 B,G,R,A; MONO: AND then XOR masks, ((w+7)/8)*h each). */
export interface CursorShape {
  /** Non-zero: the same shape comes back with the same id, so clients may cache it. */
  readonly unique: bigint;
  readonly type: 'alpha' | 'mono';
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly data: Moved<Uint8Array>;
}

/** The cursor of one display, as its source (the red-worker, a host) reports it. */
export type CursorEvent =
  | { kind: 'cursor-set'; shape: CursorShape; x: number; y: number; visible: boolean }
  | { kind: 'cursor-move'; x: number; y: number }
  | { kind: 'cursor-hide' }
  | { kind: 'cursor-trail'; length: number; frequency: number }
  | { kind: 'cursor-reset' };

/** The cursor channel hears its display's cursor. */
export interface CursorFromSource {
  send: never;
  recv: CursorEvent;
  asks: {};
  answers: {};
}

/** What the main channel tells the server actor: its client's main channel closed. */
export type MainClosed = { kind: 'main-closed'; session: number };

/**
 * The display channel and its red-worker (the display's view). The red-worker feeds it: display messages encoded beside their images (moved,
 * never copied), in order. The display channel says when a client is ready for a picture
 * (after DISPLAY_INIT) and when it has gone.
 */
export interface DisplayToWorker {
  send: { kind: 'client'; session: number; caps: readonly number[]; compression?: number } | { kind: 'client-gone'; session: number } | { kind: 'preferred-compression'; session: number; compression: number };
  recv: { kind: 'wire'; session: number; type: number; body: Moved<Uint8Array> };
  asks: {};
  answers: {};
}

/** A VDI host gives each display's red-worker its QXL device (the red-worker's view). */
export interface WorkerFromHost {
  send: never;
  recv: { kind: 'device'; device: DeviceHandoff };
  asks: {};
  answers: {};
}

/** A VDI host announces each display device it drives to the dispatcher (the host's view). */
export interface HostToDispatcher {
  send: { kind: 'device'; display: number; device: DeviceHandoff };
  recv: never;
  asks: {};
  answers: {};
}

/** How a channel's sends share its client's link: its own rate, its priority, and the link's budget (`runtime/qos/shared-budget.ts`) when the link has a limit. */
export interface ChannelQos {
  readonly priority: number;
  readonly maxBandwidth: number;
  readonly budget?: SharedArrayBuffer;
}
