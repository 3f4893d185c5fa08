/**
 * The agent message filter spice-common's agent.c applies to every piece of agent data passing
 * between a client and the guest's agent: a message's header starts a piece, the pieces after it
 * carry the rest of its data, and no piece runs past its message (spice-gtk and spice-vdagent
 * both cut messages that way). Each piece is passed or discarded by its message's type: the
 * clipboard's when copy and paste are off, file transfer's when it is off (QEMU's
 * `disable-copy-paste`, `disable-agent-file-xfer`). A piece that breaks the framing is an error.
 */
import { decodeError, type Decoded } from '../decoded.js';
import { agentHeaderSize, AgentMessageHeader, AgentMessageType, agentProtocol } from './agent.js';
import { decode } from './wire.js';

export interface FilterPolicy {
  readonly copyPaste: boolean;
  readonly fileTransfer: boolean;
}

const clipboardTypes: ReadonlySet<number> = new Set([
  AgentMessageType.clipboard,
  AgentMessageType.clipboardGrab,
  AgentMessageType.clipboardRequest,
  AgentMessageType.clipboardRelease,
]);
const fileTransferTypes: ReadonlySet<number> = new Set([
  AgentMessageType.fileXferStart,
  AgentMessageType.fileXferStatus,
  AgentMessageType.fileXferData,
]);

export type FilterVerdict = {
  readonly pass: boolean;
  /** The header of the message this piece starts; null for a piece of its data. */
  readonly starts: AgentMessageHeader | null;
};

export class AgentMessageFilter {
  /** Data of the current message still to come. */
  private left = 0;
  private pass = true;

  constructor(private readonly policy: FilterPolicy) {}

  /** Data of the current message not yet seen (0 between messages). */
  get pending(): number {
    return this.left;
  }

  /** The verdict on one piece; an error leaves the filter between messages. */
  process(piece: Uint8Array): Decoded<FilterVerdict> {
    if (this.left > 0) {
      if (piece.length > this.left) return this.fail(`agent data runs ${piece.length - this.left} bytes past its message`);
      this.left -= piece.length;
      return { ok: true, value: { pass: this.pass, starts: null } };
    }
    if (piece.length < agentHeaderSize) return this.fail(`agent data of ${piece.length} bytes where a message header starts`);
    const h = decode(AgentMessageHeader, piece.subarray(0, agentHeaderSize));
    if (!h.ok) return this.fail(h.error);
    const header = h.value;
    if (header.protocol !== agentProtocol) return this.fail(`agent protocol ${header.protocol} (expected ${agentProtocol})`);
    const data = piece.length - agentHeaderSize;
    if (data > header.size) return this.fail(`agent data runs ${data - header.size} bytes past its message`);
    this.left = header.size - data;
    this.pass = !(
      (clipboardTypes.has(header.type) && !this.policy.copyPaste) ||
      (fileTransferTypes.has(header.type) && !this.policy.fileTransfer)
    );
    return { ok: true, value: { pass: this.pass, starts: header } };
  }

  /** Forgets the message in progress (its sender went). */
  reset(): void {
    this.left = 0;
  }

  private fail(why: string): Decoded<never> {
    this.left = 0;
    return decodeError(why);
  }
}
