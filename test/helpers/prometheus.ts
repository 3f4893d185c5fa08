/** The value of one series (name and labels as written) in a Prometheus text scrape; NaN when absent. */
export function seriesValue(scrape: string, series: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}
