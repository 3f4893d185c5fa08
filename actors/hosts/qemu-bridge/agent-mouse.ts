/**
 * `agent-mouse`: client mouse mode through the guest's agent while QEMU has no absolute device,
 * as spice-server's inputs channel does: a client position becomes a VD_AGENT_MOUSE_STATE, and so
 * does a button (the agent then owns the pointer: buttons do not also go to QEMU's mouse). The
 * client's button mask (LEFT 1, MIDDLE 2, RIGHT 4) becomes the agent's (LEFT 2, MIDDLE 4, RIGHT 8),
 * a wheel step a press of UP 16 or DOWN 32.
 */
import type { AgentMouse, InputEvent } from '../../contracts.js';

const SPICE_UP = 4;
const SPICE_DOWN = 5;

const agentButtons = (spice: number): number => ((spice & 1) << 1) | ((spice & 2) << 1) | ((spice & 4) << 1);

export class AgentMouseRoute {
  /** The agent actor wants positions (its guest agent runs, agent-mouse is on). */
  wanted = false;
  private position: { x: number; y: number; display: number } | null = null;

  /** The agent's message for `e`, or null when `e` goes to QEMU (`absolute`: QEMU has a tablet). */
  route(e: InputEvent, absolute: boolean): AgentMouse | null {
    if (!this.wanted || absolute) {
      this.position = null;
      return null;
    }
    switch (e.kind) {
      case 'mouse-position':
        this.position = { x: e.x, y: e.y, display: e.display };
        return { kind: 'mouse', ...this.position, buttons: agentButtons(e.buttons) };
      case 'mouse-buttons': {
        // Buttons follow the pointer's owner: the agent once a client position went to it.
        if (!this.position) return null;
        const wheel = e.down ? (e.button === SPICE_UP ? 16 : e.button === SPICE_DOWN ? 32 : 0) : 0;
        return { kind: 'mouse', ...this.position, buttons: agentButtons(e.buttons) | wheel };
      }
      case 'mouse-motion':
        this.position = null; // server mode again: relative motion to QEMU
        return null;
      default:
        return null;
    }
  }
}
