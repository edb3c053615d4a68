// Timing for the benchmark cases. Every figure is a ratio against a baseline measured in the same
// run, timed alternately with it (A, B, A, B, ...), because the machines these run on are shared
// and noisy: absolute numbers drift, ratios much less.

function now(): number {
  return performance.now();
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}

export interface TimingOptions {
  minMs?: number;
  minRuns?: number;
  maxRuns?: number;
}

/**
 * Median seconds per call of `fn`, run for at least `minMs` after one warm-up call.
 *
 * @example
 * const sec = timeIt(() => table.find(keys), { minMs: 100 });
 */
export function timeIt(fn: () => void, { minMs = 200, minRuns = 3, maxRuns = 200 }: TimingOptions = {}): number {
  fn();
  const times: number[] = [];
  const start = now();
  while (times.length < minRuns || (now() - start < minMs && times.length < maxRuns)) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  return median(times) / 1000;
}

/** Async {@link timeIt} (for calls that await, e.g. a worker pool's or a GPU read-back). */
export async function timeItAsync(
  fn: () => Promise<unknown>,
  { minMs = 200, minRuns = 3, maxRuns = 100 }: TimingOptions = {},
): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = now();
  while (times.length < minRuns || (now() - start < minMs && times.length < maxRuns)) {
    const t0 = now();
    await fn();
    times.push(now() - t0);
  }
  return median(times) / 1000;
}

/** Medians of two alternately timed calls: wall-clock seconds, and CPU seconds where a CPU clock was given. */
export interface PairTimes {
  /** Seconds per call of A and of B: CPU time when a CPU clock was given, else the wall clock. */
  a: number;
  b: number;
  /** Wall-clock seconds per call of A and of B. */
  wallA: number;
  wallB: number;
}

/**
 * Times two functions alternately (A, B, A, B, ...) so that drifting load hits both alike;
 * returns the median seconds per call of each.
 *
 * With `cpu` (a clock of the CPU seconds this process used, e.g. Node's process.cpuUsage), `a`
 * and `b` are CPU times: on a loaded machine the wall clock mostly measures how long a call
 * waited for a core, while CPU time keeps measuring the work. The wall-clock medians come too.
 *
 * @example
 * const t = timePair(() => wasm.find(keys), () => js.find(keys, rows, exists));
 * const ratio = t.b / t.a; // how many times faster A is
 */
export function timePair(
  a: () => void,
  b: () => void,
  { minMs = 200, minRuns = 5, maxRuns = 200 }: TimingOptions = {},
  cpu?: () => number,
): PairTimes {
  a();
  b();
  const wall: [number[], number[]] = [[], []];
  const used: [number[], number[]] = [[], []];
  const start = now();
  while (wall[0].length < minRuns || (now() - start < 2 * minMs && wall[0].length < maxRuns)) {
    for (const [i, f] of [a, b].entries()) {
      const c0 = cpu?.() ?? 0;
      const t0 = now();
      f();
      wall[i].push((now() - t0) / 1000);
      if (cpu) used[i].push(cpu() - c0);
    }
  }
  const wallA = median(wall[0]);
  const wallB = median(wall[1]);
  return cpu ? { a: median(used[0]), b: median(used[1]), wallA, wallB } : { a: wallA, b: wallB, wallA, wallB };
}

/**
 * Async {@link timePair}: `a` and `b` awaited alternately (A, B, A, B, ...). Always timed by the
 * wall clock (a pool's point is running on other threads, whose CPU time would add up rather than
 * overlap); with `cpu`, `cpuA` / `cpuB` are the CPU seconds per call of the whole process.
 */
export async function timePairAsync(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  { minMs = 200, minRuns = 5, maxRuns = 100 }: TimingOptions = {},
  cpu?: () => number,
): Promise<PairTimes & { cpuA?: number; cpuB?: number }> {
  await a();
  await b();
  const wall: [number[], number[]] = [[], []];
  const used: [number[], number[]] = [[], []];
  const start = now();
  while (wall[0].length < minRuns || (now() - start < 2 * minMs && wall[0].length < maxRuns)) {
    for (const [i, f] of [a, b].entries()) {
      const c0 = cpu?.() ?? 0;
      const t0 = now();
      await f();
      wall[i].push((now() - t0) / 1000);
      if (cpu) used[i].push(cpu() - c0);
    }
  }
  const wallA = median(wall[0]);
  const wallB = median(wall[1]);
  return {
    a: wallA,
    b: wallB,
    wallA,
    wallB,
    ...(cpu ? { cpuA: median(used[0]), cpuB: median(used[1]) } : {}),
  };
}
