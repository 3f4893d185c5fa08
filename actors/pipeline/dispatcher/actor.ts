import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { hostToDispatcher, maxDisplays, workerFromDispatcher, type DispatcherContract } from '../../contracts.js';

/**
 * Between the VDI host and the red-workers: each display device the host announces gets a
 * red-worker of its own (started on the first announcement, with its display and cursor
 * channels) and the device is routed to it; a device announced again (the host restarted, or
 * QEMU came back) goes to the same red-worker, which drops the old one. Back the other way goes
 * whether a client watches the display (each red-worker says so again for every new device).
 */
export default defineActor<DispatcherContract>((ctx) => {
  const started = new Set<number>();
  const host = ctx.peer(flip(hostToDispatcher));
  host.messages$.subscribe((m) => {
    if (!(Number.isInteger(m.display) && m.display >= 0 && m.display < maxDisplays)) {
      ctx.log.warn({ display: m.display }, 'device for a display out of range: ignored');
      return;
    }
    const worker = ctx.peer(flip(workerFromDispatcher(m.display)));
    if (!started.has(m.display)) {
      started.add(m.display);
      void ctx.parent.send({ kind: 'display-needed', display: m.display });
      worker.messages$.subscribe((w) => void host.send(w));
    }
    // Queued on the red-worker's link until the root has started and connected it.
    void worker.send({ kind: 'device', device: m.device });
  });
});
