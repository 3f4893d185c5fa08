import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';

/** How long the companion has to answer. */
const timeoutMs = 10_000;

const controlUsage = 'usage: spice-companion control SOCKET COMMAND [JSON-ARGUMENTS]\n';

/**
 * `spice-companion control SOCKET COMMAND [JSON-ARGUMENTS]`: sends one command to a running
 * companion's control socket and prints its reply line. Exit code 0 for a `return`, 1 for an
 * `error` or no answer, 2 for a usage mistake.
 */
export async function runControl(args: readonly string[]): Promise<number> {
  const [path, execute, json, ...extra] = args;
  if (path === undefined || execute === undefined || extra.length > 0) {
    process.stderr.write(controlUsage);
    return 2;
  }
  let request: object;
  try {
    request = json === undefined ? { execute } : { execute, arguments: JSON.parse(json) as unknown };
  } catch (err) {
    process.stderr.write(`spice-companion control: the arguments are not JSON: ${(err as Error).message}\n`);
    return 2;
  }
  const socket = createConnection(path);
  const lines = createInterface({ input: socket });
  const timer = setTimeout(() => {
    process.stderr.write(`spice-companion control: no reply from ${path} within ${timeoutMs / 1000} s\n`);
    socket.destroy();
  }, timeoutMs);
  try {
    let greeted = false;
    for await (const line of lines) {
      // The first line is the greeting; the request goes after it, as to QMP.
      if (!greeted) {
        greeted = true;
        socket.write(JSON.stringify(request) + '\n');
        continue;
      }
      process.stdout.write(line + '\n');
      return 'return' in (JSON.parse(line) as object) ? 0 : 1;
    }
    process.stderr.write(`spice-companion control: ${path} closed without a reply\n`);
    return 1;
  } catch (err) {
    process.stderr.write(`spice-companion control: ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
