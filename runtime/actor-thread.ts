import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Subject } from './streams.js';
import type { ActorContext, ActorDefinition, PeerEvent } from './actor.js';
import { Link, sendBatches } from './link.js';
import { createLogger } from './log.js';
import { Meter } from './meter.js';
import type { ActorSide, Contract, LinkTypes } from './message.js';
import type { Port } from './port.js';
import type { HostData, SpareData, SystemDown, SystemUp } from './system.js';
import { setThreadName } from '../native/index.js';

// What every actor thread runs: takes its actor's definition, gives it its context, and carries
// out the supervisor's system messages. Its entries: runtime/actor-host.js (the actor module
// loaded by the name the supervisor gives), and in the bundled build each actor's actor.cjs
// (this and the actor in one file).

/** Loads the definition of the actor module named (by its URL). */
export type DefinitionLoader = (module: string) => Promise<ActorDefinition<Contract>>;

/** Runs this thread's actor; a failure to start rejects, which ends the thread with it as its error. */
export async function runActorThread(load: DefinitionLoader): Promise<void> {
  const control = parentPort!;
  const data =
    'preload' in (workerData as HostData | SpareData) ? await adopted(control, workerData as SpareData, load) : (workerData as HostData);
  // The actor's name for the OS (top -H, /proc), where node calls every thread "node".
  setThreadName(data.name);
  const log = createLogger(data.logLevel, { actor: data.name });
  const definition = await load(data.module);

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
}

/** A spare thread: loads its module while it waits for its actor's data (later messages queue on the port meanwhile). */
async function adopted(control: MessagePort, spare: SpareData, load: DefinitionLoader): Promise<HostData> {
  const loading = load(spare.preload);
  const msg = await new Promise<SystemDown>((resolve) => control.once('message', resolve));
  if (msg.sys !== 'host') throw new Error(`a spare thread got ${msg.sys} before its actor`);
  await loading;
  return msg.data;
}
