import { Meter, type Cell } from '../runtime/meter.js';

/** A channel actor's figures, shared by its connections (the root labels them with the actor). */
export interface ChannelMeter {
  readonly bytesSent: Cell;
  readonly messagesSent: Cell;
  readonly bytesReceived: Cell;
  readonly messagesReceived: Cell;
  /** Messages waiting in the connections' send pipes. */
  readonly queued: Cell;
  /** Queued messages replaced by a newer one before they were sent (cursor positions). */
  readonly dropped: Cell;
  /** Times sending stopped for the client's ACKs (more than twice the window unacked). */
  readonly ackStalls: Cell;
  readonly connections: Cell;
}

export function channelMeter(meter: Meter = new Meter()): ChannelMeter {
  return {
    bytesSent: meter.counter('spice_channel_sent_bytes_total', 'Bytes sent to clients, headers included.'),
    messagesSent: meter.counter('spice_channel_sent_messages_total', 'Messages sent to clients.'),
    bytesReceived: meter.counter('spice_channel_received_bytes_total', 'Bytes received from clients after the link.'),
    messagesReceived: meter.counter('spice_channel_received_messages_total', 'Messages received from clients.'),
    queued: meter.gauge('spice_channel_queued_messages', 'Messages waiting in the send pipes.'),
    dropped: meter.counter('spice_channel_dropped_messages_total', 'Queued messages replaced by newer ones before being sent.'),
    ackStalls: meter.counter('spice_channel_ack_stalls_total', "Times sending waited for the client's ACKs."),
    connections: meter.gauge('spice_channel_connections', 'Client connections open.'),
  };
}
