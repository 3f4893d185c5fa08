/**
 * What spice-server's reds_adjust_agent_capabilities does to the guest agent's
 * VD_AGENT_ANNOUNCE_CAPABILITIES on its way to a client: the clipboard capabilities taken away
 * when copy and paste are off, FILE_XFER_DISABLED added when file transfer is off, so that the
 * client does not offer what the server would discard.
 */
import { AgentCap, agentHeaderSize, AgentMessageType } from '../../codecs/protocol/agent.js';
import type { FilterPolicy } from '../../codecs/protocol/agent-filter.js';

const clipboardCaps = [
  AgentCap.clipboard,
  AgentCap.clipboardByDemand,
  AgentCap.clipboardSelection,
  AgentCap.clipboardNoReleaseOnRegrab,
  AgentCap.clipboardGrabSerial,
];

/** `piece` (a whole ANNOUNCE_CAPABILITIES: header, request word, caps words) with its caps adjusted; other pieces as they are. */
export function adjustGuestCaps(piece: Uint8Array, type: number, size: number, policy: FilterPolicy): Uint8Array {
  // request + at least one caps word, all in this piece (the guest sends it in one).
  if (type !== AgentMessageType.announceCapabilities || size < 8 || piece.length !== agentHeaderSize + size) return piece;
  const out = piece.slice();
  const words = new DataView(out.buffer, out.byteOffset + agentHeaderSize + 4, size - 4);
  const set = (bit: number, on: boolean) => {
    const at = (bit >> 5) * 4;
    if (at + 4 > words.byteLength) return;
    const mask = 1 << (bit & 31);
    const w = words.getUint32(at, true);
    words.setUint32(at, on ? (w | mask) >>> 0 : (w & ~mask) >>> 0, true);
  };
  if (!policy.copyPaste) for (const cap of clipboardCaps) set(cap, false);
  if (!policy.fileTransfer) set(AgentCap.fileXferDisabled, true);
  return out;
}
