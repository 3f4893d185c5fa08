/**
 * Input from the inputs channel to QEMU's Keyboard and Mouse: keys as qnums, lock keys toggled
 * to match the client's, the pointer absolute (SetAbsPosition) while QEMU has an absolute
 * device active and relative (RelMotion) otherwise, buttons as QEMU numbers them. Keys, buttons
 * and motion go to the first console (QEMU's keyboard and relative mouse are the VM's); an
 * absolute position goes to the console of the display it was on (QEMU maps it to that head's
 * place in the tablet's range). Calls go out
 * in order without waiting for each other; motion is sent with no reply expected. What QEMU
 * refuses is logged, never retried.
 */
import type { Logger } from '../../../runtime/log.js';
import type { InputEvent } from '../../contracts.js';
import type { QemuConsole } from './dbus/display1-proxy.js';
import { lockKeys, qnumOf } from './keymap.js';
import { clampPosition, qemuButton } from './mouse.js';

/** The console calls input needs. */
export type InputTarget = Pick<
  QemuConsole,
  'keyPress' | 'keyRelease' | 'mousePress' | 'mouseRelease' | 'mouseSetAbsPosition' | 'mouseRelMotion'
>;

/** A display's console and its size now, for absolute positions on it. */
export interface PointerScreen {
  readonly target: InputTarget;
  readonly size: { readonly width: number; readonly height: number };
}

export class QemuInput {
  /** Mouse.IsAbsolute, as last reported. */
  absolute = false;
  /** Keyboard.Modifiers (the guest's LEDs), as last reported. */
  leds = 0;

  constructor(
    private readonly console: InputTarget,
    private readonly log: Logger,
    /** The console of display channel N and its size, if there is one. */
    private readonly screen: (display: number) => PointerScreen | undefined,
  ) {}

  handle(e: InputEvent): void {
    switch (e.kind) {
      case 'key': {
        const qnum = qnumOf(e.code);
        if (qnum === undefined) return void this.log.debug({ code: e.code }, 'key with no QEMU number dropped');
        return this.done('key', e.down ? this.console.keyPress(qnum) : this.console.keyRelease(qnum));
      }
      case 'lock-keys':
        // As spice-server does: press and release each lock key whose state differs.
        for (const { bit, qnum } of lockKeys) {
          if ((e.modifiers & bit) === (this.leds & bit)) continue;
          this.done('lock key', this.console.keyPress(qnum));
          this.done('lock key', this.console.keyRelease(qnum));
        }
        // Until QEMU reports its LEDs, the keys are taken to have done their job (no second toggle).
        this.leds = e.modifiers;
        return;
      case 'mouse-motion':
        if (this.absolute) return; // QEMU answers "Mouse is not relative"
        return this.done('motion', this.console.mouseRelMotion(e.dx, e.dy, { noReply: true }));
      case 'mouse-position': {
        const screen = this.absolute ? this.screen(e.display) : undefined;
        const at = screen && clampPosition(e.x, e.y, screen.size.width, screen.size.height);
        if (at) this.done('position', screen.target.mouseSetAbsPosition(at.x, at.y, { noReply: true }));
        return;
      }
      case 'mouse-buttons': {
        const button = qemuButton(e.button);
        if (button === undefined) return void this.log.warn({ button: e.button }, 'mouse button QEMU does not know dropped');
        return this.done('button', e.down ? this.console.mousePress(button) : this.console.mouseRelease(button));
      }
    }
  }

  private done(what: string, call: Promise<void>): void {
    call.catch((err: Error) => this.log.debug({ what, err: err.message }, 'QEMU refused an input call'));
  }
}
