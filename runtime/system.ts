import type { MessagePort } from 'node:worker_threads';
import type { LinkOptions } from './link.js';
import type { LogLevel } from './log.js';
import type { Sample } from './meter.js';

/** What a supervisor hands a new actor thread. */
export interface HostData {
  readonly module: string;
  readonly name: string;
  readonly init: unknown;
  readonly parent: MessagePort;
  readonly parentLink: LinkOptions;
  readonly logLevel: LogLevel;
}

/** What a thread booted ahead of its actor starts with (runtime/spare-thread.ts): the module to load meanwhile. */
export interface SpareData {
  readonly preload: string;
}

/** Supervisor -> actor thread, over the worker's own port (structured clone, not msgpack). */
export type SystemDown =
  /** A spare thread's actor: the first message it gets. */
  | { readonly sys: 'host'; readonly data: HostData }
  | { readonly sys: 'peer'; readonly name: string; readonly port: MessagePort; readonly link: LinkOptions }
  | { readonly sys: 'peer-down'; readonly name: string }
  | { readonly sys: 'stop' }
  /** The actor's meter now, answered with the same id. */
  | { readonly sys: 'metrics'; readonly id: number };

/** Actor thread -> supervisor. */
export type SystemUp = { readonly sys: 'ready' } | { readonly sys: 'metrics'; readonly id: number; readonly samples: readonly Sample[] };
