/**
 * The SPICE agent protocol (spice-protocol vd_agent.h): what a client and a guest vdagent say to
 * each other inside the main channel's AGENT_DATA messages. A message is a VDAgentMessage header
 * and `size` bytes of data, cut into AGENT_DATA bodies of at most 2048 bytes (agent-stream.ts puts
 * them back together); toward the guest each piece has a VDIChunkHeader before it. Only the
 * messages the companion reads or writes are described.
 */
import { table } from './table.js';
import { dependent, empty, i32, lengthOf, restOf, sizedBy, struct, u16, u32, u64, u8, type TypeOf } from './wire.js';

export const agentProtocol = 1;
/** VD_AGENT_MAX_DATA_SIZE: the most one AGENT_DATA may carry. */
export const agentMaxDataSize = 2048;
/**
 * spice-server's REDS_AGENT_WINDOW_SIZE: the AGENT_DATA a client may send before tokens come back
 * (INIT's and AGENT_CONNECTED_TOKENS' agent_tokens, also when there is no agent).
 */
export const agentWindow = 10;
/** spice-server's REDS_TOKENS_TO_SEND: tokens are returned in batches this large. */
export const agentTokensBatch = 5;
/** spice-server's limit on a client's monitor list (the CVE-2017-7506 fix). */
export const maxMonitors = 256;

export const AgentMessageType = {
  mouseState: 1,
  monitorsConfig: 2,
  reply: 3,
  clipboard: 4,
  displayConfig: 5,
  announceCapabilities: 6,
  clipboardGrab: 7,
  clipboardRequest: 8,
  clipboardRelease: 9,
  fileXferStart: 10,
  fileXferStatus: 11,
  fileXferData: 12,
  clientDisconnected: 13,
  maxClipboard: 14,
  audioVolumeSync: 15,
  graphicsDeviceInfo: 16,
} as const;

/** Capability bit numbers (VD_AGENT_CAP_*), in words of 32 as the main channel's caps. */
export const AgentCap = {
  mouseState: 0,
  monitorsConfig: 1,
  reply: 2,
  clipboard: 3,
  displayConfig: 4,
  clipboardByDemand: 5,
  clipboardSelection: 6,
  sparseMonitorsConfig: 7,
  guestLineendLf: 8,
  guestLineendCrlf: 9,
  maxClipboard: 10,
  audioVolumeSync: 11,
  monitorsConfigPosition: 12,
  fileXferDisabled: 13,
  fileXferDetailedErrors: 14,
  graphicsDeviceInfo: 15,
  clipboardNoReleaseOnRegrab: 16,
  clipboardGrabSerial: 17,
} as const;

export const AgentReplyError = { success: 1, error: 2 } as const;
export const MonitorsConfigFlags = { usePos: 1, physicalSize: 2 } as const;

/**
 * VDIChunkHeader: what the guest's virtio port carries before each piece (at most 2048 bytes) of
 * agent data, `port` saying whom it is for: a client, or the server itself (mouse state, a
 * client's leaving).
 */
export const ChunkHeader = struct('VDIChunkHeader', { port: u32, size: u32 });
export type ChunkHeader = TypeOf<typeof ChunkHeader>;
export const chunkHeaderSize = 8;
export const AgentPort = { client: 1, server: 2 } as const;

/** VDAgentMessage without its data: 20 bytes. */
export const AgentMessageHeader = struct('VDAgentMessage', { protocol: u32, type: u32, opaque: u64, size: u32 });
export type AgentMessageHeader = TypeOf<typeof AgentMessageHeader>;
export const agentHeaderSize = 20;

export const MonConfig = struct('VDAgentMonConfig', { height: u32, width: u32, depth: u32, x: i32, y: i32 });
export const MonitorMM = struct('VDAgentMonitorMM', { height: u16, width: u16 });

/** The physical sizes follow the monitors, one per monitor, only with FLAG_PHYSICAL_SIZE. */
const physicalSizes = dependent('VDAgentMonitorMM[]?', (before) =>
  ((before.flags as number) & MonitorsConfigFlags.physicalSize) !== 0 ? sizedBy('num_of_monitors', MonitorMM).resolve(before) : null,
);

export const MonitorsConfig = struct('VDAgentMonitorsConfig', {
  num_of_monitors: lengthOf('monitors', u32),
  flags: u32,
  monitors: sizedBy('num_of_monitors', MonConfig),
  physical_sizes: physicalSizes,
});
export type MonitorsConfig = TypeOf<typeof MonitorsConfig>;

/** The largest MONITORS_CONFIG data anyone may send (256 monitors with physical sizes). */
export const maxMonitorsConfigSize = 8 + maxMonitors * (20 + 4);

/**
 * The agent's messages by type: what the companion serves itself or says to the guest's agent. Encoders and decoders follow
 * from it (table.ts encodeMessage/decodeMessage over a message's data).
 */
export const agentMessages = table({
  monitors_config: [AgentMessageType.monitorsConfig, MonitorsConfig],
  reply: [AgentMessageType.reply, struct('VDAgentReply', { type: u32, error: u32 })],
  mouse_state: [AgentMessageType.mouseState, struct('VDAgentMouseState', { x: u32, y: u32, buttons: u32, display_id: u8 })],
  client_disconnected: [AgentMessageType.clientDisconnected, empty],
  announce_capabilities: [
    AgentMessageType.announceCapabilities,
    struct('VDAgentAnnounceCapabilities', { request: u32, caps: restOf(u32) }),
  ],
});
