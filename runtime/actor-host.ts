import { parentPort, workerData } from 'node:worker_threads';
import { Subject } from './streams.js';
import type { ActorContext, ActorDefinition, PeerEvent } from './actor.js';
import { Link, sendBatches } from './link.js';
import { createLogger } from './log.js';
import { Meter } from './meter.js';
import type { ActorSide, Contract, LinkTypes } from './message.js';
import type { Port } from './port.js';
import type { HostData, SpareData, SystemDown, SystemUp } from './system.js';
import { setThreadName } from '../native/index.js';

// The entry point of every actor thread: loads the actor module named by the supervisor,
// gives it its context, and carries out the supervisor's system messages.

const control = parentPort!;
const data = 'preload' in (workerData as HostData | SpareData) ? await adopted(workerData as SpareData) : (workerData as HostData);
// The actor's name for the OS (top -H, /proc), where node calls every thread "node".
setThreadName(data.name);
const log = createLogger(data.logLevel, { actor: data.name });
const definition = ((await import(data.module)) as { default: ActorDefinition<Contract> }).default;

/** A spare thread: loads its module while it waits for its actor's data (later messages queue on the port meanwhile). */
async function adopted(spare: SpareData): Promise<HostData> {
  const loading = import(spare.preload);
  const msg = await new Promise<SystemDown>((resolve) => control.once('message', resolve));
  if (msg.sys !== 'host') throw new Error(`a spare thread got ${msg.sys} before its actor`);
  await loading;
  return msg.data;
}

const parent = new Link<ActorSide<Contract>>(data.parent, {
  ...data.parentLink,
  ...definition.link,
  name: `${data.name}>parent`,
  paused: true,
});
const peers = new Map<string, Link<LinkTypes>>();
const peers$ = new Subject<PeerEvent>();
const meter = new Meter();
const stopHooks: Array<() => void | Promise<void>> = [];
let started = false;

function peer(name: string): Link<LinkTypes> {
  let link = peers.get(name);
  if (!link) {
    link = new Link<LinkTypes>(null, { name: `${data.name}>${name}`, paused: !started });
    peers.set(name, link);
  }
  return link;
}

control.on('message', async (msg: SystemDown) => {
  switch (msg.sys) {
    case 'peer': {
      const link = peer(msg.name);
      link.configure(msg.link);
      link.attach(msg.port);
      peers$.next({ type: 'up', peer: msg.name });
      return;
    }
    case 'peer-down':
      peers.get(msg.name)?.detach(`${msg.name} went down`);
      peers$.next({ type: 'down', peer: msg.name });
      return;
    case 'metrics':
      control.postMessage({ sys: 'metrics', id: msg.id, samples: meter.samples() } satisfies SystemUp);
      return;
    case 'stop':
      for (const hook of stopHooks.reverse()) {
        try {
          await hook();
        } catch (err) {
          log.error({ err }, 'stop hook failed');
        }
      }
      // What the hooks sent leaves before the thread does.
      sendBatches();
      process.exit(0);
  }
});

const ctx: ActorContext<Contract> = {
  name: data.name,
  init: data.init,
  log,
  parent,
  peer: <L extends LinkTypes>(port: Port<L>) => {
    // An actor taking the other end's view would read its peer's messages as its own.
    if (port.a !== data.name) throw new Error(`${data.name} took the ${port.a} end of the port ${port.a}–${port.b}`);
    return peer(port.b) as unknown as Link<L>;
  },
  meter,
  peers$: peers$.asObservable(),
  onStop: (hook) => void stopHooks.push(hook),
};

await definition.main(ctx);
started = true;
parent.resume();
for (const link of peers.values()) link.resume();
control.postMessage({ sys: 'ready' } satisfies SystemUp);
