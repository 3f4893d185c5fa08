import type { Companion } from '../../actors/root/companion.js';

/** A figure of one actor of an in-process companion, as /metrics would give it; NaN when absent. */
export async function actorFigure(companion: Companion, actor: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const figures = (await companion.supervisor.metrics()).find((m) => m.actor === actor);
  const sample = figures?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? Number.NaN;
}
