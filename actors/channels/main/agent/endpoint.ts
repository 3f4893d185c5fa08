/**
 * The agent as the main channel sees it: one endpoint per client connection, fed the client's
 * AGENT_START, AGENT_DATA and AGENT_TOKEN, answering through `AgentClient`: the guest's agent
 * through the agent actor while it runs (guest-relay.ts), else the companion's own, serving
 * monitor layouts (companion-agent.ts).
 */

/** What an endpoint may do to the client it serves. */
export interface AgentClient {
  /** One AGENT_DATA body (at most 2048 bytes). */
  data(chunk: Uint8Array): void;
  /** AGENT_TOKEN: the client may send `n` more AGENT_DATA. */
  tokens(n: number): void;
  /** The client broke the agent protocol: its main connection is closed with `why` logged. */
  close(why: string): void;
}

export interface AgentEndpoint {
  /** Tokens the client starts with (INIT's agent_tokens). */
  readonly initialTokens: number;
  /** AGENT_START: the client is ready, and takes `tokens` AGENT_DATA from us before returning some. */
  start(tokens: number): void;
  data(chunk: Uint8Array): void;
  tokens(n: number): void;
}
