/** The value of one series (name and labels as written) in a Prometheus text scrape; NaN when absent. */
export function seriesValue(scrape: string, series: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** The sum of a metric's series over all their labels (every actor's); 0 when it has none. */
export function metricSum(scrape: string, name: string): number {
  return scrape
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
