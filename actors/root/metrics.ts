import { createServer } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { parseHostPort } from '../../config/setting.js';
import type { Logger } from '../../runtime/log.js';
import type { Labels, Sample } from '../../runtime/meter.js';
import { StartError } from '../../runtime/start-error.js';
import type { Supervisor } from '../../runtime/supervisor.js';
import { threadTimes } from '../../runtime/thread-times.js';

export interface MetricsEndpoint {
  /** The port it listens on (the one picked, for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Prometheus's endpoint, GET /metrics at `addr`: each scrape asks every actor for its meter
 * (through the supervisor), adds what the root knows (restarts, CPU per thread) and the
 * process's own figures (prom-client's defaults). Nothing is collected between scrapes.
 */
export async function openMetrics(addr: string, supervisor: Supervisor, log: Logger): Promise<MetricsEndpoint> {
  const { host, port } = parseHostPort(addr)!;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const families = new Map<string, Counter | Gauge>();
  const family = ({ name, help, type, labels }: Sample): Counter | Gauge => {
    let f = families.get(name);
    if (!f) {
      const spec = { name, help, labelNames: Object.keys(labels), registers: [registry] };
      families.set(name, (f = type === 'counter' ? new Counter(spec) : new Gauge(spec)));
    }
    return f;
  };

  const scrape = async (): Promise<string> => {
    const samples: Sample[] = [];
    for (const { actor, restarts, samples: own } of await supervisor.metrics()) {
      samples.push({
        name: 'spice_actor_restarts_total',
        help: 'Times an actor was started again after a crash.',
        type: 'counter',
        labels: { actor },
        value: restarts,
      });
      for (const s of own) samples.push({ ...s, labels: { actor, ...s.labels } });
    }
    // Actors run on threads named after them; the compressor threads share one name.
    const cpu = new Map<string, number>();
    for (const t of threadTimes(process.pid, 'root')) cpu.set(t.name, (cpu.get(t.name) ?? 0) + t.seconds);
    for (const [thread, total] of cpu) {
      const seconds = Math.round(total * 1000) / 1000; // whole ticks; the rounding only hides float sums
      samples.push({
        name: 'spice_thread_cpu_seconds_total',
        help: "CPU time (user and system) of the process's threads by name (an actor's restart starts its count afresh).",
        type: 'counter',
        labels: { thread },
        value: seconds,
      });
    }
    // Figures come whole from their owners: each scrape sets them afresh.
    for (const f of families.values()) f.reset();
    for (const s of samples) {
      const f = family(s);
      if (f instanceof Counter) f.inc(s.labels as Labels, s.value);
      else f.set(s.labels as Labels, s.value);
    }
    return registry.metrics();
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartError(`metrics-addr: cannot listen on ${addr}: ${err.code ?? err.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as { port: number }).port;
  log.info({ addr: host, port: bound }, 'metrics listening');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of a scraper would hold the close.
        server.closeAllConnections();
      }),
  };
}
