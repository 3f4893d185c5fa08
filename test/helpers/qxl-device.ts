import { close, eventfdCreate, mapShared, memfdCreate, type Fd } from '../../native/index.js';
import { initDeviceMemory } from '../../native/qxl/device-memory.js';

/** A QXL device memory as the rings' two sides share it: a mapped memfd and an eventfd to wake each side. */
export interface QxlDevice {
  readonly memfd: Fd;
  readonly memory: SharedArrayBuffer;
  readonly consumerEvfd: Fd;
  readonly producerEvfd: Fd;
}

/** A fresh, initialised device memory of `size` bytes with its two eventfds, for `use`; closes them after. */
export async function withDevice<T>(size: number, use: (device: QxlDevice) => Promise<T>): Promise<T> {
  const memfd = memfdCreate('qxl-device', size);
  const consumerEvfd = eventfdCreate();
  const producerEvfd = eventfdCreate();
  try {
    const memory = mapShared(memfd, size);
    initDeviceMemory(memory);
    return await use({ memfd, memory, consumerEvfd, producerEvfd });
  } finally {
    [memfd, consumerEvfd, producerEvfd].forEach(close);
  }
}
