import { channelProtocol } from '../table.js';
import { lengthOf, ptr, rest, struct, u32, u8, when } from '../wire.js';
import { DataCompression } from '../enums.js';
import { baseClient, baseServer } from './base.js';

// The spicevmc channels (spice.proto SpicevmcChannel, PortChannel, SmartcardChannel): bytes
// between a client and a character device of the VM.

const data = struct('data', { data: rest });
/** uncompressed_size only for LZ4 (spice.proto's `switch (type) { case LZ4: uint32 uncompressed_size; }`). */
const compressedData = struct('compressed_data', {
  type: u8,
  uncompressed_size: when((before) => before.type === DataCompression.lz4, u32),
  data: rest,
});

const vmcServer = { ...baseServer, data: [101, data], compressed_data: [102, compressedData] } as const;
const vmcClient = { ...baseClient, data: [101, data], compressed_data: [102, compressedData] } as const;

/** usbredir (and any spicevmc channel without extras). */
export const spicevmcProtocol = channelProtocol('spicevmc', vmcServer, vmcClient);

/** The port channels (port, webdav): spicevmc plus the port's name and its guest side's events. */
export const portProtocol = channelProtocol(
  'port',
  {
    ...vmcServer,
    // The name's bytes include its NUL; name_size counts them.
    init: [201, struct('port_init', { name_size: lengthOf('name', u32), name: ptr(rest), opened: u8 })],
    event: [202, struct('port_event', { event: u8 })],
  },
  { ...vmcClient, event: [201, struct('port_event', { event: u8 })] },
);

/** The smartcard channel: each DATA one VSC message (vsc.ts), header in the client's byte order (little-endian). */
export const smartcardProtocol = channelProtocol('smartcard', { ...baseServer, data: [101, data] }, { ...baseClient, data: [101, data] });
