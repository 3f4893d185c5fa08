/**
 * An actor's counters and gauges, read when the root is scraped (`Supervisor.metrics`). Each is
 * made once, at set-up or on the first use of a label value from a small fixed set, so the hot
 * path only adds to a number.
 */

export type SampleType = 'counter' | 'gauge';

export type Labels = Readonly<Record<string, string>>;

/** One figure as the root collects it: the actor adds its name as the `actor` label. */
export interface Sample {
  readonly name: string;
  readonly help: string;
  readonly type: SampleType;
  readonly labels: Labels;
  readonly value: number;
}

/** A number the actor keeps and adds to. */
export interface Cell {
  value: number;
}

interface Entry {
  readonly name: string;
  readonly help: string;
  readonly type: SampleType;
  readonly labels: Labels;
  readonly cell: Cell;
  /** Read at collection instead of the cell: a figure another object already keeps. */
  readonly read?: () => number;
}

export class Meter {
  private readonly entries = new Map<string, Entry>();

  /** A counter (only grows); the same name and labels give the same cell. */
  counter(name: string, help: string, labels: Labels = {}, read?: () => number): Cell {
    return this.entry('counter', name, help, labels, read);
  }

  /** A value that goes up and down (a queue's depth, connections open). */
  gauge(name: string, help: string, labels: Labels = {}, read?: () => number): Cell {
    return this.entry('gauge', name, help, labels, read);
  }

  samples(): Sample[] {
    return [...this.entries.values()].map(({ name, help, type, labels, cell, read }) => ({
      name,
      help,
      type,
      labels,
      value: read ? read() : cell.value,
    }));
  }

  private entry(type: SampleType, name: string, help: string, labels: Labels, read?: () => number): Cell {
    const key = `${name}${JSON.stringify(labels)}`;
    const found = this.entries.get(key);
    if (found) return found.cell;
    const cell = { value: 0 };
    this.entries.set(key, { name, help, type, labels, cell, ...(read ? { read } : {}) });
    return cell;
  }
}
