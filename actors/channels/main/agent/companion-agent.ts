/**
 * The agent the companion serves itself while the guest has none: what spice-server does with
 * a client's VD_AGENT_MONITORS_CONFIG when the display device takes client monitor configs
 * (reds.cpp hands it to QEMU's dpy_set_ui_info), without a reply as spice-server. It announces
 * only what it serves: monitor configs (with positions), and that file transfer is off (so a
 * client refuses a drop at once instead of sending files nobody reads). Flow control both ways:
 * the client spends a token per AGENT_DATA and gets them back in batches as they are read
 * (spice-server's REDS_AGENT_WINDOW_SIZE and REDS_TOKENS_TO_SEND; a body is read as it comes, so
 * the window cannot be overrun); ours come from its AGENT_START and AGENT_TOKEN.
 */
import type { Logger } from '../../../../runtime/log.js';
import {
  AgentCap,
  agentMessages,
  type AgentMessageHeader,
  AgentMessageType,
  agentTokensBatch,
  agentWindow,
  maxMonitors,
  maxMonitorsConfigSize,
  type MonitorsConfig,
} from '../../../../codecs/protocol/agent.js';
import { agentPieces, AgentStreamReader, encodeAgentMessage } from '../../../../codecs/protocol/agent-stream.js';
import { capWords } from '../../../../codecs/protocol/enums.js';
import { decodeMessage, type MessageOf } from '../../../../codecs/protocol/table.js';
import type { MonitorRequest } from '../../../contracts.js';
import type { AgentClient, AgentEndpoint } from './endpoint.js';

/** AGENT_DATA bodies waiting for the client's tokens: a client that sends and never takes is closed past this. */
export const maxOutbox = 64;

// No REPLY: as spice-server, which answers nothing when the display device takes the layout (a
// reply is the guest agent's to give, and spice-html5 logs "Unknown message type 109" for one).
const announcedCaps = capWords([AgentCap.monitorsConfig, AgentCap.monitorsConfigPosition, AgentCap.fileXferDisabled]);

/** The messages read whole, and their limits; anything else passes by unread. */
const served = new Map<number, number>([
  [AgentMessageType.monitorsConfig, maxMonitorsConfigSize],
  // request + caps words: spice-gtk sends one word; 64 would be 2048 capabilities.
  [AgentMessageType.announceCapabilities, 4 + 64 * 4],
]);

type AgentMessage = MessageOf<(typeof agentMessages)['defs']>;

/** Larger monitors are not asked for: no display device drives them, and a guest given one as its preferred mode may not cope. */
export const maxMonitorSide = 16384;

/** The monitors of a client's layout, by display channel: QEMU's reading (ui/spice-display.c), entry N for console N. */
export function monitorRequests(config: MonitorsConfig): MonitorRequest[] {
  // Always present: sized by num_of_monitors (the codec types every dependent field as optional).
  return (config.monitors ?? []).flatMap((m, display) => {
    if (m.width === 0 || m.height === 0) return []; // a disabled monitor (sparse configs): nothing to ask
    if (m.width > maxMonitorSide || m.height > maxMonitorSide) return [];
    const mm = config.physical_sizes?.[display];
    return [{ display, width: m.width, height: m.height, x: m.x, y: m.y, widthMm: mm?.width ?? 0, heightMm: mm?.height ?? 0 }];
  });
}

export class CompanionAgent implements AgentEndpoint {
  readonly initialTokens = agentWindow;
  /** AGENT_DATA read and not yet paid back: every body is read at once, so the client's window never runs dry. */
  private unreturned = 0;
  /** Ours to spend (from AGENT_START), and what waits for them; null until the client started the agent. */
  private ourTokens: number | null = null;
  private readonly outbox: Uint8Array[] = [];
  private readonly reader = new AgentStreamReader(served);
  private closed = false;

  constructor(
    private readonly client: AgentClient,
    private readonly log: Logger,
    /** A layout the client asked for. */
    private readonly onMonitors: (monitors: MonitorRequest[]) => void,
  ) {}

  start(tokens: number): void {
    this.ourTokens = tokens;
    this.flush();
  }

  tokens(n: number): void {
    if (this.ourTokens === null) return void this.log.debug({ n }, 'agent token before agent start: ignored');
    // spice-gtk starts with ~0 (no flow control): the sum stays a plain count, capped.
    this.ourTokens = Math.min(this.ourTokens + n, 0xffffffff);
    this.flush();
  }

  data(chunk: Uint8Array): void {
    if (this.closed) return;
    const r = this.reader.push(chunk);
    if (!r.ok) return this.close(r.error);
    for (const m of r.value) {
      if (m.data === null) this.log.debug({ type: m.header.type, size: m.header.size }, 'agent message not served: dropped');
      else this.serve(m.header, m.data);
      if (this.closed) return;
    }
    if (++this.unreturned >= agentTokensBatch) {
      this.client.tokens(this.unreturned);
      this.unreturned = 0;
    }
  }

  private serve(header: AgentMessageHeader, data: Uint8Array): void {
    const m = decodeMessage(agentMessages, header.type, data);
    if (!m.ok) {
      // spice-server disconnects a client whose monitor config is malformed (reds_on_main_agent_monitors_config).
      if (header.type === AgentMessageType.monitorsConfig) return this.close(`bad monitors config: ${m.error}`);
      return void this.log.debug({ type: header.type, err: m.error }, 'malformed agent message dropped');
    }
    const msg = m.value;
    switch (msg.name) {
      case 'announce_capabilities':
        if (msg.body.request !== 0) this.send({ name: 'announce_capabilities', body: { request: 0, caps: announcedCaps } });
        return;
      case 'monitors_config': {
        const count = msg.body.monitors?.length ?? 0;
        if (count > maxMonitors) return this.close(`monitors config with ${count} monitors (at most ${maxMonitors})`);
        this.onMonitors(monitorRequests(msg.body));
        return;
      }
      case 'reply':
      case 'mouse_state':
      case 'client_disconnected':
        return; // not a client's to send; harmless
    }
  }

  /** Queues one agent message as AGENT_DATA bodies of at most 2048 bytes. */
  private send(msg: AgentMessage): void {
    this.outbox.push(...agentPieces(encodeAgentMessage(msg)));
    this.flush();
    if (this.outbox.length > maxOutbox) this.close(`${this.outbox.length} agent messages wait for tokens the client does not give`);
  }

  private flush(): void {
    while (this.ourTokens !== null && this.ourTokens > 0 && this.outbox.length > 0) {
      this.ourTokens--;
      this.client.data(this.outbox.shift()!);
    }
  }

  private close(why: string): void {
    this.closed = true;
    this.log.warn({ why }, 'agent protocol broken by the client');
    this.client.close(why);
  }
}
