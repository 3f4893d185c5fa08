import type { Given } from './sources.js';
import { flagName } from './sources.js';
import { fromQemuSpice } from './qemu-spice.js';
import { leaves, type Leaf } from './settings.js';

/** Options of the command itself rather than configuration keys. */
export interface Command {
  readonly help: boolean;
  readonly version: boolean;
  readonly printConfig: boolean;
  /** Print what this build can do as JSON, for a management layer (libvirt's display helpers), and exit. */
  readonly printCapabilities: boolean;
  readonly configFile?: string;
}

export interface ParsedArgs {
  readonly command: Command;
  readonly given: ReadonlyMap<string, Given>;
  readonly errors: readonly string[];
}

const booleanWords = /^(on|off|true|false|yes|no|1|0)$/i;
const isBoolean = (leaf: Leaf): boolean => leaf.setting.range.startsWith('on/off');

/**
 * Every configuration key is a flag: `--port 5930`, `--port=5930`, `--channels.display.priority 1`.
 * A boolean key alone means on (`--disable-ticketing`), `--no-KEY` means off, and it takes a
 * following on/off word. The last occurrence wins. `--` ends the options; what follows is the
 * value of the one flag that takes the rest (`--qemu -- -m 2G ...`). `--spice OPTIONS` takes a
 * QEMU -spice string; the keys it gives yield to flags of their own.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const byFlag = new Map(leaves().map((l) => [flagName(l), l]));
  const given = new Map<string, Given>();
  const errors: string[] = [];
  /** Keys from --spice: flags of their own win over them. */
  const spiceGiven = new Map<string, Given>();
  const command = {
    help: false,
    version: false,
    printConfig: false,
    printCapabilities: false,
    configFile: undefined as string | undefined,
  };
  const dashes = argv.indexOf('--');
  const rest = dashes < 0 ? undefined : argv.slice(dashes + 1);
  let restTaken = false;
  const options = dashes < 0 ? argv : argv.slice(0, dashes);
  for (let i = 0; i < options.length; i++) {
    const arg = options[i]!;
    if (arg === '--help' || arg === '-h') {
      command.help = true;
      continue;
    }
    if (arg === '--version' || arg === '-V') {
      command.version = true;
      continue;
    }
    if (arg === '--print-config') {
      command.printConfig = true;
      continue;
    }
    if (arg === '--print-capabilities') {
      command.printCapabilities = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const next = options[i + 1];
    if (flag === '--config' || flag === '-c') {
      const file = inline ?? next;
      if (file === undefined || (inline === undefined && file.startsWith('-'))) errors.push(`${flag} needs a file name`);
      else {
        command.configFile = file;
        if (inline === undefined) i++;
      }
      continue;
    }
    if (flag === '--spice') {
      const text = inline ?? next;
      if (text === undefined || (inline === undefined && text.startsWith('--')))
        errors.push("--spice needs QEMU's -spice options, e.g. --spice 'port=5930,disable-ticketing=on'");
      else {
        const spice = fromQemuSpice(text);
        for (const [path, g] of spice.given) spiceGiven.set(path, g);
        errors.push(...spice.errors);
        if (inline === undefined) i++;
      }
      continue;
    }
    if (!flag.startsWith('--')) {
      errors.push(`unexpected argument '${arg}' (options start with --; see --help)`);
      continue;
    }
    const negated = flag.startsWith('--no-') ? byFlag.get(`--${flag.slice(5)}`) : undefined;
    if (negated && isBoolean(negated) && inline === undefined) {
      given.set(negated.path, { raw: 'off', source: { kind: 'flag', flag } });
      continue;
    }
    const leaf = byFlag.get(flag);
    if (!leaf) {
      errors.push(`unknown option ${flag} (see --help)`);
      continue;
    }
    if (leaf.setting.rest) {
      if (inline !== undefined || rest === undefined || rest.length === 0)
        errors.push(`${flag} takes its arguments after --, as the last option: ${flag} -- ${leaf.setting.example}`);
      else {
        given.set(leaf.path, { raw: rest, source: { kind: 'flag', flag } });
        restTaken = true;
      }
      continue;
    }
    let raw: string;
    if (inline !== undefined) raw = inline;
    else if (isBoolean(leaf)) {
      const takesWord = next !== undefined && booleanWords.test(next);
      raw = takesWord ? next : 'on';
      if (takesWord) i++;
    } else if (leaf.setting.bare !== undefined && (next === undefined || next.startsWith('--'))) {
      raw = leaf.setting.bare;
    } else if (next === undefined || next.startsWith('--')) {
      errors.push(`${flag} needs a value: ${leaf.setting.range}`);
      continue;
    } else {
      raw = next;
      i++;
    }
    given.set(leaf.path, { raw, source: { kind: 'flag', flag } });
  }
  for (const [path, g] of spiceGiven) if (!given.has(path)) given.set(path, g);
  if (rest !== undefined && !restTaken) errors.push(`arguments after -- are QEMU's, for --qemu: ${rest.join(' ') || '(none)'}`);
  return { command, given, errors };
}
