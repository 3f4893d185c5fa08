import { runActorThread } from './actor-thread.js';
import type { ActorDefinition } from './actor.js';
import type { Contract } from './message.js';

// The entry of an actor's thread where the build has no entry of the actor's own (the compiled
// tree the tests run): the actor module is loaded by the name the supervisor gives.
void runActorThread(async (module) => ((await import(module)) as { default: ActorDefinition<Contract> }).default);
