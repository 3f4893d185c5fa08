import { Socket } from 'node:net';
import { AgentPort, agentMaxDataSize, agentTokensBatch, agentWindow } from '../../codecs/protocol/agent.js';
import { ChunkReader, encodeChunk } from '../../codecs/protocol/agent-chunks.js';
import { AgentMessageFilter, type FilterPolicy } from '../../codecs/protocol/agent-filter.js';
import { encodeAgentMessage } from '../../codecs/protocol/agent-stream.js';
import { defineActor } from '../../runtime/actor.js';
import { flip } from '../../runtime/port.js';
import { hostToAgent, mainToAgent, type AgentContract, type AgentMouse } from '../contracts.js';
import { adjustGuestCaps } from './guest-caps.js';

/** Mouse states waiting in the socket past this are dropped: a newer position follows. */
const maxMouseBacklog = 16 * 1024;

/** One client's side of the relay (its session's main channel). */
interface Client {
  /** Pieces we may send it (its AGENT_START and AGENT_TOKEN); null until it started the agent. */
  ourTokens: number | null;
  /** Pieces it may still send before tokens come back. */
  window: number;
  /** Pieces written to the guest and not yet paid back. */
  unreturned: number;
  readonly filter: AgentMessageFilter;
  /** Guest pieces waiting for its tokens. */
  readonly outbox: Uint8Array[];
  /** Joined the guest's stream at a message's start (a client that came mid-message waits for the next). */
  synced: boolean;
}

/**
 * The agent actor: the guest's vdagent port, taken from QEMU's `-chardev dbus` (the host
 * registers it and hands the socket over), relayed to and from each client's main channel as
 * spice-server's reds.cpp does. Toward the guest each piece gets a VDIChunkHeader; the clipboard
 * and file transfer pass the filters of `disable-copy-paste` and `disable-agent-file-xfer` both
 * ways; a client's tokens come back as its pieces are written; the guest's pieces wait for a
 * client's tokens, and while any wait the port is not read (what one read brought is the most
 * held). The guest agent's opening and closing of its port is the agent connecting and going;
 * a client that leaves mid-message has the rest of its message padded, then the guest hears
 * VD_AGENT_CLIENT_DISCONNECTED.
 */
export default defineActor<AgentContract>((ctx) => {
  const host = ctx.peer(flip(hostToAgent));
  const main = ctx.peer(flip(mainToAgent));
  const policy: FilterPolicy = { copyPaste: ctx.init.copyPaste, fileTransfer: ctx.init.fileTransfer };
  const log = ctx.log;
  let socket: Socket | null = null;
  let open = false;
  let connected = false;
  const reader = new ChunkReader();
  const fromGuest = new AgentMessageFilter(policy);
  const clients = new Map<number, Client>();
  let heldMax = 0;
  ctx.meter.gauge('spice_agent_connected', 'The guest agent has its port open.', {}, () => (connected ? 1 : 0));
  ctx.meter.gauge('spice_agent_held_bytes_max', 'The most guest agent bytes held for clients without tokens.', {}, () => heldMax);
  const fromGuestBytes = ctx.meter.counter('spice_agent_guest_bytes_total', 'Agent bytes from the guest.', {});
  const toGuestBytes = ctx.meter.counter('spice_agent_client_bytes_total', 'Agent bytes from clients to the guest.', {});

  const client = (session: number): Client => {
    let c = clients.get(session);
    if (!c) {
      c = { ourTokens: null, window: agentWindow, unreturned: 0, filter: new AgentMessageFilter(policy), outbox: [], synced: false };
      clients.set(session, c);
    }
    return c;
  };

  const setConnected = () => {
    const now = socket !== null && open;
    if (now === connected) return;
    connected = now;
    reader.reset();
    fromGuest.reset();
    // Each client starts afresh: the main channel tells it of the change, and it starts the agent again.
    clients.clear();
    log.info({ connected }, connected ? 'guest agent connected' : 'guest agent gone');
    void main.send({ kind: 'guest', connected });
    void host.send({ kind: 'mouse-wanted', wanted: connected && ctx.init.agentMouse });
    resume();
  };

  const write = (port: number, data: Uint8Array, done?: () => void) => {
    if (!socket) return;
    socket.write(encodeChunk(port, data), done && (() => done()));
  };

  const held = () => {
    let bytes = 0;
    for (const c of clients.values()) for (const p of c.outbox) bytes += p.length;
    return bytes;
  };
  const resume = () => {
    if (!socket) return;
    for (const c of clients.values()) if (c.outbox.length > 0) return;
    socket.resume();
  };

  const flush = (session: number, c: Client) => {
    while (c.ourTokens !== null && c.ourTokens > 0 && c.outbox.length > 0) {
      c.ourTokens--;
      void main.send({ kind: 'data', session, data: c.outbox.shift()! });
    }
  };

  /** A piece of the guest's stream for the clients. */
  const fromGuestPiece = (piece: Uint8Array) => {
    const v = fromGuest.process(piece);
    if (!v.ok) return void log.warn({ err: v.error }, 'guest agent data breaks the agent protocol: piece dropped');
    if (!v.value.pass) return;
    const starts = v.value.starts;
    const data = starts ? adjustGuestCaps(piece, starts.type, starts.size, policy) : piece;
    for (const [session, c] of clients) {
      if (c.ourTokens === null) continue;
      if (!c.synced) {
        if (starts === null) continue;
        c.synced = true;
      }
      c.outbox.push(data);
      flush(session, c);
    }
    const h = held();
    if (h > 0) {
      heldMax = Math.max(heldMax, h);
      socket?.pause();
    }
  };

  const adopt = (fd: number) => {
    socket?.destroy();
    const s = new Socket({ fd, readable: true, writable: true });
    socket = s;
    reader.reset();
    s.on('data', (bytes: Buffer) => {
      fromGuestBytes.value += bytes.length;
      reader.push(bytes, (e) => {
        if (e.kind === 'oversized')
          return void log.warn(
            { port: e.port, size: e.size },
            `guest agent piece of ${e.size} bytes (at most ${agentMaxDataSize}): dropped`,
          );
        if (e.port === AgentPort.client) return fromGuestPiece(e.data);
        log.debug({ port: e.port, size: e.data.length }, 'guest agent piece for the server port: ignored');
      });
    });
    s.on('error', (err) => log.warn({ err: err.message }, 'guest agent port failed'));
    s.on('close', () => {
      if (socket !== s) return;
      socket = null;
      setConnected();
    });
    setConnected();
  };

  host.messages$.subscribe((m) => {
    switch (m.kind) {
      case 'port':
        return adopt(m.fd);
      case 'guest-open':
        open = m.open;
        return setConnected();
      case 'mouse':
        return mouse(m);
    }
  });

  const mouse = (m: AgentMouse) => {
    if (!connected || !socket || socket.writableLength > maxMouseBacklog) return;
    const state = encodeAgentMessage({
      name: 'mouse_state',
      body: { x: m.x, y: m.y, buttons: m.buttons, display_id: m.display },
    });
    write(AgentPort.server, state);
  };

  const returnTokens = (session: number, c: Client, force: boolean) => {
    if (c.unreturned === 0 || (!force && c.unreturned < agentTokensBatch)) return;
    c.window += c.unreturned;
    void main.send({ kind: 'tokens', session, n: c.unreturned });
    c.unreturned = 0;
  };

  const fromClient = (session: number, data: Uint8Array) => {
    const c = client(session);
    if (c.window <= 0) return void main.send({ kind: 'close', session, why: 'agent data beyond the tokens given (token overrun)' });
    c.window--;
    // Read and gone: its token comes back at once.
    const consumed = () => {
      c.unreturned++;
      returnTokens(session, c, socket === null || socket.writableLength === 0);
    };
    if (!connected) return consumed();
    if (data.length > agentMaxDataSize) return void main.send({ kind: 'close', session, why: `agent data of ${data.length} bytes` });
    const v = c.filter.process(data);
    if (!v.ok) return void main.send({ kind: 'close', session, why: `agent protocol broken: ${v.error}` });
    if (!v.value.pass) {
      if (v.value.starts) log.debug({ type: v.value.starts.type }, 'agent message filtered out (copy-paste or file transfer disabled)');
      return consumed();
    }
    toGuestBytes.value += data.length;
    write(AgentPort.client, data, () => {
      if (clients.get(session) === c) consumed();
    });
  };

  const gone = (session: number) => {
    const c = clients.get(session);
    clients.delete(session);
    resume();
    if (!c || !connected) return;
    // The guest's agent reads whole messages: the rest of one cut short is padded.
    let left = c.filter.pending;
    while (left > 0) {
      const n = Math.min(left, agentMaxDataSize);
      write(AgentPort.client, new Uint8Array(n));
      left -= n;
    }
    write(AgentPort.server, encodeAgentMessage({ name: 'client_disconnected', body: {} }));
  };

  main.messages$.subscribe((m) => {
    switch (m.kind) {
      case 'start': {
        const c = client(m.session);
        c.ourTokens = m.tokens;
        flush(m.session, c);
        return resume();
      }
      case 'tokens': {
        const c = clients.get(m.session);
        if (!c || c.ourTokens === null) return;
        // spice-gtk starts with ~0 (no flow control): the sum stays a plain count, capped.
        c.ourTokens = Math.min(c.ourTokens + m.n, 0xffffffff);
        flush(m.session, c);
        if (c.outbox.length === 0) resume();
        return;
      }
      case 'data':
        return fromClient(m.session, m.data);
      case 'gone':
        return gone(m.session);
    }
  });

  ctx.onStop(() => void socket?.destroy());
});
