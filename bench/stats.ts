/** Percentile of a sample (sorted copy), in the sample's unit. */
export function percentile(sample: readonly number[], p: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Times `iterations` sequential runs of `op` after `warmup` unmeasured ones; microseconds. */
export async function timeEach(op: () => Promise<unknown>, iterations: number, warmup = Math.ceil(iterations / 10)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op();
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await op();
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(c < 10 ? 2 : 1) : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
