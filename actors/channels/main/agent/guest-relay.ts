/**
 * A client's agent endpoint while the guest's agent runs: its AGENT_START, AGENT_DATA and
 * AGENT_TOKEN go to the agent actor (actors/agent/), which relays them to the guest's port and
 * answers through the main channel.
 */
import { agentWindow } from '../../../../codecs/protocol/agent.js';
import type { MainToAgent } from '../../../contracts.js';
import type { AgentEndpoint } from './endpoint.js';

export class GuestAgentRelay implements AgentEndpoint {
  readonly initialTokens = agentWindow;

  constructor(
    private readonly session: number,
    private readonly send: (m: MainToAgent['send']) => void,
  ) {}

  start(tokens: number): void {
    this.send({ kind: 'start', session: this.session, tokens });
  }

  data(chunk: Uint8Array): void {
    this.send({ kind: 'data', session: this.session, data: chunk });
  }

  tokens(n: number): void {
    this.send({ kind: 'tokens', session: this.session, n });
  }
}
