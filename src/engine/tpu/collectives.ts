// Collectives between simulated cores, with every byte accounted per link. The ring all-reduce
// really moves chunks: one ring step = every core sends one chunk to its right neighbour, and the
// phases (reduce-scatter, then all-gather) can be stepped one at a time. Faults act on messages:
// a dropped core's messages are lost; a straggler's arrive late and the schedule does not wait
// (a message arriving after the collective ends is lost), which is what makes replicas diverge.
import { InvalidArgumentError, show } from '../errors.js';

/** A fault for teaching: drop a core's messages, or delay them by `delay` ring steps (straggler). */
export type CollectiveFault = { kind: 'drop'; core: number } | { kind: 'straggler'; core: number; delay: number };

/** A ring phase. */
export type RingPhase = 'reduce-scatter' | 'all-gather';

/** One message of one ring step. */
export interface RingMessage {
  from: number;
  to: number;
  chunk: number;
  bytes: number;
  /** 'delivered' in the step it was sent, 'late' (arrives `delay` steps later or never), or 'dropped'. */
  fate: 'delivered' | 'late' | 'dropped';
}

/** What one call to {@link RingCollective.step} did. */
export interface RingStepReport {
  phase: RingPhase;
  /** Step within the phase, 0 .. n-2. */
  step: number;
  messages: RingMessage[];
  /** Late messages that arrived in this step (sent in an earlier one). */
  lateArrivals: number;
}

interface Pending {
  from: number;
  to: number;
  chunk: number;
  data: Float32Array;
  op: 'add' | 'copy';
  sentAt: number;
  arriveAt: number;
}

/** Near-equal chunk sizes for a buffer of `length` floats over `n` cores (the first `length % n` get one more). */
export function evenChunks(length: number, n: number): number[] {
  const base = Math.floor(length / n);
  const rem = length % n;
  return Array.from({ length: n }, (_, i) => base + (i < rem ? 1 : 0));
}

/** Options of {@link RingCollective}. */
export interface RingOptions {
  /** 'all-reduce' = reduce-scatter then all-gather. */
  op: 'all-reduce' | 'reduce-scatter' | 'all-gather';
  /** Sizes of the n chunks (chunk i ends on core i after a reduce-scatter). Default {@link evenChunks}. */
  chunkSizes?: number[];
  faults?: readonly CollectiveFault[];
}

/**
 * A ring collective over one Float32Array per core. `step()` runs one ring step; `run()` runs to the end.
 * After a reduce-scatter core i holds the sum of chunk i; after an all-gather every core holds every
 * core's chunk; an all-reduce is both. Each core sends `(n-1)` chunks per phase, so an all-reduce of
 * `E` floats moves `2 (n-1) E * 4` bytes in total.
 *
 * @example
 * const ar = new RingCollective([new Float32Array([1, 2]), new Float32Array([3, 4])], { op: 'all-reduce' });
 * ar.step(); // reduce-scatter: core 0 holds chunk 0 = 4, core 1 chunk 1 = 6
 * ar.run();  // all-gather: both hold [4, 6]
 * ar.bytesPerLink; // [4, 4]: link 0 is core 0 -> core 1
 */
export class RingCollective {
  readonly n: number;
  readonly op: RingOptions['op'];
  readonly chunkSizes: number[];
  private readonly offsets: number[];
  private readonly buffers: Float32Array[];
  private readonly phases: RingPhase[];
  private readonly faults: readonly CollectiveFault[];
  private phaseIndex = 0;
  private stepInPhase = 0;
  private clock = 0;
  private pending: Pending[] = [];
  /** Bytes sent on link i (core i -> core (i+1) % n). */
  readonly bytesPerLink: number[];
  /** Every step run so far. */
  readonly log: RingStepReport[] = [];

  constructor(buffers: readonly Float32Array[], options: RingOptions) {
    const n = buffers.length;
    if (n < 1) throw new InvalidArgumentError('RingCollective needs at least one buffer (one per core), got 0.');
    const len = buffers[0].length;
    buffers.forEach((b, i) => {
      if (!(b instanceof Float32Array) || b.length !== len) {
        throw new InvalidArgumentError(
          `RingCollective: every core's buffer must be a Float32Array of length ${len}; core ${i} gave ${show(b)}.`,
        );
      }
    });
    const sizes = options.chunkSizes ?? evenChunks(len, n);
    if (
      sizes.length !== n ||
      sizes.some((s) => !Number.isInteger(s) || s < 0) ||
      sizes.reduce((a, b) => a + b, 0) !== len
    ) {
      throw new InvalidArgumentError(
        `RingCollective: chunkSizes must be ${n} integers >= 0 summing to the buffer length ${len}, got [${sizes.join(', ')}].`,
      );
    }
    for (const f of options.faults ?? []) {
      if (!Number.isInteger(f.core) || f.core < 0 || f.core >= n) {
        throw new InvalidArgumentError(`RingCollective: fault core must be in [0, ${n}), got ${show(f.core)}.`);
      }
      if (f.kind === 'straggler' && (!Number.isInteger(f.delay) || f.delay < 1)) {
        throw new InvalidArgumentError(
          `RingCollective: straggler delay must be an integer >= 1 ring steps, got ${show(f.delay)}.`,
        );
      }
    }
    this.n = n;
    this.op = options.op;
    this.chunkSizes = [...sizes];
    this.offsets = [];
    let o = 0;
    for (const s of sizes) {
      this.offsets.push(o);
      o += s;
    }
    this.buffers = buffers.map((b) => Float32Array.from(b));
    this.phases =
      options.op === 'all-reduce'
        ? ['reduce-scatter', 'all-gather']
        : options.op === 'reduce-scatter'
          ? ['reduce-scatter']
          : ['all-gather'];
    this.faults = [...(options.faults ?? [])];
    this.bytesPerLink = new Array(n).fill(0);
    if (n === 1) this.phaseIndex = this.phases.length;
  }

  /** The phase the next `step()` runs, or 'done'. */
  get phase(): RingPhase | 'done' {
    return this.phaseIndex < this.phases.length ? this.phases[this.phaseIndex] : 'done';
  }

  /** Total bytes sent on all links. */
  get totalBytes(): number {
    return this.bytesPerLink.reduce((a, b) => a + b, 0);
  }

  private chunk(core: number, c: number): Float32Array {
    return this.buffers[core].subarray(this.offsets[c], this.offsets[c] + this.chunkSizes[c]);
  }

  /** Runs one ring step of the current phase. Throws when the collective is done. */
  step(): RingStepReport {
    const phase = this.phase;
    if (phase === 'done') throw new InvalidArgumentError('RingCollective.step(): the collective is already done.');
    const n = this.n;
    const s = this.stepInPhase;
    const messages: RingMessage[] = [];
    // Every core sends at once: snapshot all chunks before any delivery.
    for (let i = 0; i < n; i++) {
      const to = (i + 1) % n;
      const c = phase === 'reduce-scatter' ? (((i - s - 1) % n) + n) % n : (((i - s) % n) + n) % n;
      const bytes = this.chunkSizes[c] * 4;
      this.bytesPerLink[i] += bytes;
      const fault = this.faults.find((f) => f.core === i);
      const data = Float32Array.from(this.chunk(i, c));
      const op = phase === 'reduce-scatter' ? 'add' : 'copy';
      if (fault?.kind === 'drop') messages.push({ from: i, to, chunk: c, bytes, fate: 'dropped' });
      else {
        const delay = fault?.kind === 'straggler' ? fault.delay : 0;
        this.pending.push({ from: i, to, chunk: c, data, op, sentAt: this.clock, arriveAt: this.clock + delay });
        messages.push({ from: i, to, chunk: c, bytes, fate: delay === 0 ? 'delivered' : 'late' });
      }
    }
    let lateArrivals = 0;
    const still: Pending[] = [];
    for (const m of this.pending) {
      if (m.arriveAt !== this.clock) {
        still.push(m);
        continue;
      }
      const dst = this.chunk(m.to, m.chunk);
      if (m.op === 'add') for (let k = 0; k < dst.length; k++) dst[k] += m.data[k];
      else dst.set(m.data);
      if (m.sentAt !== this.clock) lateArrivals++;
    }
    this.pending = still;
    const report: RingStepReport = { phase, step: s, messages, lateArrivals };
    this.log.push(report);
    this.clock++;
    this.stepInPhase++;
    if (this.stepInPhase === n - 1) {
      this.phaseIndex++;
      this.stepInPhase = 0;
    }
    // Messages still in flight when the schedule ends are lost (the collective timed out on them).
    if (this.phase === 'done') this.pending = [];
    return report;
  }

  /** Runs the remaining steps. */
  run(): this {
    while (this.phase !== 'done') this.step();
    return this;
  }

  /** Core `core`'s buffer now (a copy). */
  result(core: number): Float32Array {
    return Float32Array.from(this.buffers[core]);
  }

  /** Every core's buffer now (copies). */
  results(): Float32Array[] {
    return this.buffers.map((b) => Float32Array.from(b));
  }

  /** Bytes as an n×n matrix [from][to]. */
  linkMatrix(): number[][] {
    const m = Array.from({ length: this.n }, () => new Array<number>(this.n).fill(0));
    if (this.n > 1) {
      for (let i = 0; i < this.n; i++) m[i][(i + 1) % this.n] += this.bytesPerLink[i];
    }
    return m;
  }
}

/**
 * Sums one buffer per core with a ring all-reduce and returns each core's result.
 *
 * @example
 * ringAllReduce([new Float32Array([1]), new Float32Array([2])]).results; // [[3], [3]]
 */
export function ringAllReduce(
  buffers: readonly Float32Array[],
  faults: readonly CollectiveFault[] = [],
): { results: Float32Array[]; ring: RingCollective } {
  const ring = new RingCollective(buffers, { op: 'all-reduce', faults }).run();
  return { results: ring.results(), ring };
}

/** The collectives a step can use. */
export type CollectiveKind = 'all-reduce' | 'all-to-all' | 'reduce-scatter' | 'all-gather' | 'broadcast';

/** One collective as recorded in {@link CommLog}. */
export interface CollectiveRecord {
  kind: CollectiveKind;
  /** What moved: a table name, `${feature}/ids`, `${feature}/outputs`, ... */
  name: string;
  pass: 'forward' | 'backward' | 'resync';
  bytes: number;
  /** Bytes sent from core i to core j (self-sends are free and not counted). */
  linkBytes: number[][];
}

/** The communication of one training step (or of a resync). */
export interface StepComm {
  step: number;
  label: 'step' | 'resync';
  bytes: number;
  collectives: CollectiveRecord[];
}

/** What `strategy.commStats()` returns. */
export interface CommStats {
  steps: StepComm[];
  lastStep: StepComm | undefined;
  totalBytes: number;
  bytesByKind: Record<CollectiveKind, number>;
}

/**
 * A log of collectives, grouped by step. All-to-all exchanges are recorded from their byte matrix.
 *
 * @example
 * const log = new CommLog(2); log.begin(1, 'step');
 * log.record('all-to-all', 'watched/ids', 'forward', [[0, 24], [12, 0]]);
 * log.stats().lastStep.bytes; // 36
 */
export class CommLog {
  private readonly entries: StepComm[] = [];
  constructor(readonly n: number) {}

  /** Opens a new group; later records go into it. */
  begin(step: number, label: StepComm['label']): void {
    this.entries.push({ step, label, bytes: 0, collectives: [] });
  }

  /** Records one collective from its [from][to] byte matrix. */
  record(kind: CollectiveKind, name: string, pass: CollectiveRecord['pass'], linkBytes: number[][]): void {
    const cur = this.entries[this.entries.length - 1];
    if (!cur) throw new InvalidArgumentError('CommLog.record() before begin().');
    let bytes = 0;
    for (let i = 0; i < linkBytes.length; i++) {
      for (let j = 0; j < linkBytes[i].length; j++) if (i !== j) bytes += linkBytes[i][j];
    }
    cur.collectives.push({ kind, name, pass, bytes, linkBytes: linkBytes.map((r) => [...r]) });
    cur.bytes += bytes;
  }

  /** A zero n×n matrix to fill for an all-to-all. */
  matrix(): number[][] {
    return Array.from({ length: this.n }, () => new Array<number>(this.n).fill(0));
  }

  /** Everything so far. */
  stats(): CommStats {
    const bytesByKind: Record<CollectiveKind, number> = {
      'all-reduce': 0,
      'all-to-all': 0,
      'reduce-scatter': 0,
      'all-gather': 0,
      broadcast: 0,
    };
    let totalBytes = 0;
    for (const e of this.entries) {
      totalBytes += e.bytes;
      for (const c of e.collectives) bytesByKind[c.kind] += c.bytes;
    }
    const steps = this.entries.map((e) => ({ ...e, collectives: e.collectives.map((c) => ({ ...c })) }));
    return { steps, lastStep: steps.filter((s) => s.label === 'step').at(-1), totalBytes, bytesByKind };
  }
}
