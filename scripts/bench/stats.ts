/** Small timing helpers shared by the benchmark sections. */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i]!;
}

export interface Timing {
  p50: number;
  p99: number;
  mean: number;
  runs: number;
}

/** Times `fn` `runs` times after `warmup` untimed calls; milliseconds. */
export async function timeRuns(runs: number, warmup: number, fn: (i: number) => unknown | Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, runs };
}

export function fmt(t: Timing): string {
  return `p50 ${t.p50.toFixed(3)} ms, p99 ${t.p99.toFixed(3)} ms (${t.runs} runs)`;
}
