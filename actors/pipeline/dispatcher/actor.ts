import { defineActor } from '../../../runtime/actor.js';
import type { Flip } from '../../../runtime/message.js';
import type { HostToDispatcher, WorkerFromHost } from '../../contracts.js';

/** Displays a host may drive: SPICE's display channel ids are a byte, and spice-gtk shows up to 16 monitors. */
export const maxDisplays = 16;

export interface DispatcherContract {
  init: {};
  in: never;
  /** Asks the supervising root to start the red-worker and channels of display `display`. */
  out: { kind: 'display-needed'; display: number };
  replies: {};
}

/**
 * Between the VDI host and the red-workers: each display device the host announces gets a
 * red-worker of its own (started on the first announcement, with its display and cursor
 * channels) and the device is routed to it; a device announced again (the host restarted, or
 * QEMU came back) goes to the same red-worker, which drops the old one.
 */
export default defineActor<DispatcherContract>((ctx) => {
  const started = new Set<number>();
  ctx.peer<Flip<HostToDispatcher>>('host').messages$.subscribe((m) => {
    if (!(Number.isInteger(m.display) && m.display >= 0 && m.display < maxDisplays)) {
      ctx.log.warn({ display: m.display }, 'device for a display out of range: ignored');
      return;
    }
    if (!started.has(m.display)) {
      started.add(m.display);
      void ctx.parent.send({ kind: 'display-needed', display: m.display });
    }
    // Queued on the red-worker's link until the root has started and connected it.
    void ctx.peer<Flip<WorkerFromHost>>(`red-worker-${m.display}`).send({ kind: 'device', device: m.device });
  });
});
