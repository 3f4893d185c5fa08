import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Command, ParsedArgs } from './flags.js';
import { describeSource, envName, envPrefix, type Given, type Source } from './sources.js';
import { isSetting, leaves, settings, type Config, type SettingsTree } from './settings.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface Loaded {
  readonly config: Config;
  /** Where each key's value came from, by dotted path. */
  readonly sources: ReadonlyMap<string, Source>;
  readonly command: Command;
}

export interface LoadInput {
  readonly args: ParsedArgs;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/** Keys from a YAML document, by dotted path; unknown keys are problems, not silently ignored. */
function fromFile(file: string, text: string, problems: string[]): Map<string, Given> {
  const given = new Map<string, Given>();
  let doc: unknown;
  try {
    // Loaded only when a file is given: the YAML parser is ~60 ms of the process's start.
    doc = (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    problems.push(`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return given;
  }
  const walk = (node: unknown, tree: SettingsTree, prefix: string): void => {
    if (node === null || node === undefined) return;
    if (typeof node !== 'object' || Array.isArray(node)) {
      problems.push(`config file ${file}: ${prefix ? `'${prefix.slice(0, -1)}'` : 'the document'} must be a mapping of keys`);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const path = prefix + key;
      const child = tree[key];
      if (!child) problems.push(`config file ${file}: unknown key '${path}'`);
      else if (isSetting(child)) {
        if (value !== null) given.set(path, { raw: value, source: { kind: 'file', file } });
      } else walk(value, child, `${path}.`);
    }
  };
  walk(doc, settings as unknown as SettingsTree, '');
  return given;
}

const show = (raw: unknown): string => (typeof raw === 'string' ? `'${raw}'` : (JSON.stringify(raw) ?? String(raw)));

/** Defaults, then the file named by --config, then the environment, then flags: the last given wins. */
export function loadConfig(input: LoadInput): Loaded {
  const { args } = input;
  const problems = [...args.errors];
  const env = input.env ?? {};
  const file = args.command.configFile;
  let fileGiven = new Map<string, Given>();
  if (file !== undefined) {
    try {
      fileGiven = fromFile(file, (input.readFile ?? ((p) => readFileSync(p, 'utf8')))(file), problems);
    } catch (err) {
      problems.push(`cannot read config file ${file}: ${(err as Error).message}`);
    }
  }
  const values = new Map<string, unknown>();
  const sources = new Map<string, Source>();
  for (const leaf of leaves()) {
    const name = envName(leaf);
    const fromEnv: Given | undefined = env[name] !== undefined ? { raw: env[name], source: { kind: 'env', name } } : undefined;
    const given = args.given.get(leaf.path) ?? fromEnv ?? fileGiven.get(leaf.path);
    if (!given) {
      values.set(leaf.path, leaf.setting.default);
      sources.set(leaf.path, { kind: 'default' });
      continue;
    }
    const checked = leaf.setting.schema.safeParse(given.raw);
    const value = leaf.setting.secret ? '(hidden)' : show(given.raw);
    const notYet = leaf.setting.notYet;
    if (!checked.success)
      problems.push(`${leaf.path}: ${value} from ${describeSource(given.source)} is not valid: expected ${leaf.setting.range}`);
    else if (notYet?.values.includes(checked.data))
      problems.push(`${leaf.path}: ${value} from ${describeSource(given.source)}: ${notYet.why}`);
    else {
      values.set(leaf.path, checked.data);
      sources.set(leaf.path, given.source);
    }
  }
  const known = new Set(leaves().map(envName));
  for (const name of Object.keys(env)) {
    if (name.startsWith(envPrefix) && !known.has(name))
      problems.push(`environment variable ${name} names no configuration key (see --help)`);
  }
  // QEMU's rule, kept: a plain port only when asked for, or when nothing else is.
  if (values.get('port') === undefined && values.get('tls-port') === undefined && values.get('unix') !== true)
    values.set('port', defaultPort);
  if (problems.length === 0) problems.push(...crossChecks(values));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: nest(values) as Config, sources, command: args.command };
}

/** The plain port when neither tls-port nor unix is given. */
export const defaultPort = 5900;

/** Rules between keys, as QEMU applies them to -spice. */
function crossChecks(v: ReadonlyMap<string, unknown>): string[] {
  const problems: string[] = [];
  const tlsPort = v.get('tls-port') as number | undefined;
  const files = ['x509-key-file', 'x509-cert-file', 'x509-cacert-file'];
  if (tlsPort !== undefined && v.get('x509-dir') === undefined && files.some((f) => v.get(f) === undefined))
    problems.push(
      'tls-port: TLS needs x509-dir (ca-cert.pem, server-cert.pem, server-key.pem), or x509-key-file, x509-cert-file and x509-cacert-file',
    );
  if (tlsPort !== undefined && tlsPort !== 0 && tlsPort === v.get('port')) problems.push(`tls-port: ${tlsPort} is also the plain port`);
  if ((v.get('secure-channels') as string[]).length > 0 && tlsPort === undefined)
    problems.push('secure-channels: needs a tls-port to be reachable');
  if (v.get('sasl') === true && tlsPort === undefined) problems.push('sasl: SASL is offered over TLS only; give tls-port');
  const hasPassword = v.get('password') !== undefined || v.get('password-file') !== undefined;
  if (v.get('password') !== undefined && v.get('password-file') !== undefined) problems.push('password, password-file: give one');
  if (v.get('password-expiry') !== undefined && !hasPassword) problems.push('password-expiry: there is no password to expire');
  if (v.get('unix') === true && v.get('port') !== undefined)
    problems.push('port: with unix, plain connections come through the socket at addr');
  if (v.get('unix') === true && tlsPort !== undefined)
    problems.push('tls-port: with unix, addr is a socket path; a unix socket is served plain');
  const vms = ['qemu-dbus', 'qemu-qmp', 'qemu'].filter((k) => v.get(k) !== undefined);
  if (vms.length > 1) problems.push(`${vms.join(', ')}: give one way to reach QEMU`);
  return problems;
}

function nest(values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, value] of values) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return root;
}
