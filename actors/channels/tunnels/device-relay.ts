import type { Socket } from 'node:net';
import type { CloseReason } from '../../../channel/connection.js';

/**
 * Bytes waiting either way before the side sending them is no longer read: the client's
 * connection (its send pipe and socket) for device data, the chardev's socket for client data
 * (spice-server stops reading the device at 1 MiB queued too).
 */
export const maxQueued = 1 << 20;

/** What the relay needs of a client's channel connection. */
export interface ClientEnd {
  readonly queuedBytes: number;
  readonly isClosed: boolean;
  onDrain(handler: () => void): void;
  onClose(handler: (reason: CloseReason) => void): void;
  pauseInput(): void;
  resumeInput(): void;
  close(reason: CloseReason): void;
  /** The bytes the link stage read past the link. */
  feed(bytes: Uint8Array): void;
}

/** The most held so far, for the bound's figure. */
export interface Held {
  toClient: number;
  toDevice: number;
}

/**
 * One client's connection joined to its chardev's socket, bounded both ways: device data is
 * not read while more than `maxQueued` bytes wait for the client, and the client is not read
 * while as much waits for the device; what one read brings is the most held beyond that. The
 * chardev closing closes the client's connection, and the client leaving closes the chardev's
 * socket (QEMU's device sees the connection end, as with spice-server).
 */
export class DeviceRelay {
  private devicePaused = false;
  private clientPaused = false;

  constructor(
    client: ClientEnd,
    device: Socket,
    /** Device bytes for the client; an error (a malformed device stream) closes both ends. */
    fromDevice: (bytes: Uint8Array) => string | null,
    held: Held,
  ) {
    device.on('data', (bytes: Buffer) => {
      const error = fromDevice(bytes);
      if (error !== null) return client.close({ by: 'server', why: error });
      held.toClient = Math.max(held.toClient, client.queuedBytes);
      if (client.queuedBytes > maxQueued && !this.devicePaused) {
        this.devicePaused = true;
        device.pause();
      }
    });
    client.onDrain(() => {
      if (!this.devicePaused) return;
      this.devicePaused = false;
      device.resume();
    });
    device.on('drain', () => {
      if (!this.clientPaused) return;
      this.clientPaused = false;
      client.resumeInput();
    });
    const write = device.write.bind(device);
    this.write = (bytes: Uint8Array) => {
      write(bytes);
      held.toDevice = Math.max(held.toDevice, device.writableLength);
      if (device.writableLength > maxQueued && !this.clientPaused) {
        this.clientPaused = true;
        client.pauseInput();
      }
    };
    // An error is followed by close; the close says it to the client's log line.
    device.on('error', () => {});
    device.on('close', () => client.close({ by: 'server', why: 'the chardev closed its end' }));
    client.onClose(() => device.destroy());
  }

  /** Client bytes for the device. */
  readonly write: (bytes: Uint8Array) => void;
}
