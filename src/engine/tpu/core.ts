// What one simulated core computes on the tables it holds, as plain functions over Float32Arrays
// (no tfjs, no shared state), so the same code runs in-process and inside a pool worker and gives
// bit-identical results in both: every product and sum is rounded to float32 in a fixed order.
//
// A core's work in a training step is three calls: `forward` (gather the rows its jobs read,
// times their weights, summed per example for combined features), `backward` (the transpose:
// output gradients scattered back into the table's gradient) and `apply` (the optimizer update of
// the rows the step touched). Everything between cores (all-reduce, all-to-all, reduce-scatter)
// and the user's step function run on the host.
import { InvalidArgumentError, show } from '../errors.js';
import {
  Adagrad,
  type AdagradOptions,
  Adam,
  type AdamOptions,
  FTRL,
  type FTRLOptions,
  SGD,
  type TPUEmbeddingOptimizer,
} from './optimizers.js';

/** A TPU embedding optimizer as data, so a worker can rebuild the same one. */
export type OptimizerSpec =
  | { kind: 'SGD'; options: CommonSpec }
  | { kind: 'Adagrad'; options: AdagradOptions }
  | { kind: 'Adam'; options: AdamOptions }
  | { kind: 'FTRL'; options: FTRLOptions };

type CommonSpec = {
  learningRate: number;
  clipWeightMin?: number;
  clipWeightMax?: number;
  weightDecayFactor: number;
  multiplyWeightDecayFactorByLearningRate: boolean;
  clipvalue?: [number, number];
};

const KNOWN: Record<string, unknown> = { SGD, Adagrad, Adam, FTRL };

/**
 * Describes a built-in TPU embedding optimizer as plain data ({@link optimizerFromSpec} rebuilds it).
 * Throws for an optimizer that is not one of de.tpu.SGD / Adagrad / Adam / FTRL.
 *
 * @example
 * optimizerSpec(new de.tpu.SGD({ learningRate: 0.1 })).kind; // 'SGD'
 */
export function optimizerSpec(opt: TPUEmbeddingOptimizer): OptimizerSpec {
  if (KNOWN[opt.kind] !== Object.getPrototypeOf(opt).constructor) {
    throw new InvalidArgumentError(
      `Cores on workers rebuild the optimizer from its settings, so it must be de.tpu.SGD, Adagrad, Adam or FTRL itself; got a ${show(Object.getPrototypeOf(opt).constructor?.name)}.`,
    );
  }
  const common: CommonSpec = {
    learningRate: opt.learningRate,
    weightDecayFactor: opt.weightDecayFactor,
    multiplyWeightDecayFactorByLearningRate: opt.multiplyWeightDecayFactorByLearningRate,
  };
  if (Number.isFinite(opt.clipWeightMin)) common.clipWeightMin = opt.clipWeightMin;
  if (Number.isFinite(opt.clipWeightMax)) common.clipWeightMax = opt.clipWeightMax;
  if (opt.clipvalue) common.clipvalue = [opt.clipvalue[0], opt.clipvalue[1]];
  if (opt instanceof Adagrad) {
    return { kind: 'Adagrad', options: { ...common, initialAccumulatorValue: opt.initialAccumulatorValue } };
  }
  if (opt instanceof Adam) {
    const { beta1, beta2, epsilon, lazyAdam, sumInsideSqrt } = opt;
    return { kind: 'Adam', options: { ...common, beta1, beta2, epsilon, lazyAdam, sumInsideSqrt } };
  }
  if (opt instanceof FTRL) {
    const { learningRatePower, l1RegularizationStrength, l2RegularizationStrength, beta, initialAccumulatorValue } =
      opt;
    return {
      kind: 'FTRL',
      options: {
        ...common,
        learningRatePower,
        l1RegularizationStrength,
        l2RegularizationStrength,
        beta,
        initialAccumulatorValue,
      },
    };
  }
  return { kind: 'SGD', options: common };
}

/**
 * Rebuilds an optimizer from {@link optimizerSpec}.
 *
 * @example
 * optimizerFromSpec({ kind: 'SGD', options: { learningRate: 0.1 } }).learningRate; // 0.1
 */
export function optimizerFromSpec(spec: OptimizerSpec): TPUEmbeddingOptimizer {
  switch (spec.kind) {
    case 'SGD':
      return new SGD(spec.options);
    case 'Adagrad':
      return new Adagrad(spec.options);
    case 'Adam':
      return new Adam(spec.options);
    case 'FTRL':
      return new FTRL(spec.options);
    default:
      throw new InvalidArgumentError(`Unknown TPU embedding optimizer kind ${show((spec as { kind: unknown }).kind)}.`);
  }
}

/** One table (or shard of it) as a core holds it: `[rows, cols]` row-major, slots alike. */
export interface CoreTable {
  rows: number;
  cols: number;
  params: Float32Array;
  slots: Float32Array[];
  optimizer: TPUEmbeddingOptimizer | null;
}

/**
 * One lookup a core computes (stage A of a lookup: gather × weights, summed per example when
 * combined). It reads table `table` of the core, or `source` when given (mod sharding: the rows the
 * core received, `[source.length / cols, cols]`).
 */
export interface GatherJob {
  table: number;
  kind: 'dense' | 'combine' | 'sequence';
  /** dense: the ids' shape; combine: `[B, W]`; sequence: `[B, L]`. */
  entryShape: number[];
  /** Row of each entry (local to what is read). */
  ids: Int32Array;
  /** Weight of each entry, or null (dense: every weight 1). */
  weights: Float32Array | null;
  source?: Float32Array;
}

/** The work a core does in one call. */
export type CoreWork =
  | { op: 'forward'; jobs: GatherJob[] }
  /** `dys[k]` is the gradient of job k's output; gradients are summed per table (or per source). */
  | { op: 'backward'; jobs: GatherJob[]; dys: Float32Array[] }
  /** Rows `rows` of table `table` (mod sharding: what the core sends to the cores that asked). */
  | { op: 'rows'; table: number; rows: Int32Array }
  /** The optimizer update of `rows` of each listed table from `grad` (the shard's layout). */
  | { op: 'apply'; updates: { table: number; grad: Float32Array; rows: Int32Array }[] };

/** What {@link runCoreWork} returns for each op. */
export type CoreWorkResult =
  | { op: 'forward'; outputs: Float32Array[] }
  /** `grads[t]`: the gradient of table t (or of the source the jobs of table t read); null if no job read it. */
  | { op: 'backward'; grads: (Float32Array | null)[] }
  | { op: 'rows'; values: Float32Array }
  /** The rows the update wrote, per table, as now held: `values` and each slot are `[rows.length, cols]`. */
  | { op: 'apply'; tables: { table: number; rows: Int32Array; values: Float32Array; slots: Float32Array[] }[] };

function tableOf(tables: readonly CoreTable[], i: number): CoreTable {
  const t = tables[i];
  if (!t) throw new InvalidArgumentError(`This core holds no table ${show(i)} (it holds ${tables.length}).`);
  return t;
}

function outerSize(job: GatherJob): number {
  return job.kind === 'combine' ? job.entryShape[0] : job.entryShape.reduce((a, b) => a * b, 1);
}

function sourceOf(tables: readonly CoreTable[], job: GatherJob): { data: Float32Array; rows: number; cols: number } {
  const t = tableOf(tables, job.table);
  if (job.source) return { data: job.source, rows: job.source.length / t.cols, cols: t.cols };
  return { data: t.params, rows: t.rows, cols: t.cols };
}

function checkIds(job: GatherJob, rows: number): void {
  for (let k = 0; k < job.ids.length; k++) {
    const id = job.ids[k];
    if (!(id >= 0 && id < rows)) {
      throw new InvalidArgumentError(`Core lookup: row ${id} at entry ${k} is outside the ${rows} rows read.`);
    }
  }
}

/**
 * Stage A of one lookup on `[rows, cols]` `data`: `out[e, j] = data[ids[e], j] * w[e]` per entry,
 * or `out[b, j] = Σ_k data[ids[b, k], j] * w[b, k]` (in k order, float32) for a combined feature.
 *
 * @example
 * gatherForward(new Float32Array([1, 2, 3, 4]), 2, { table: 0, kind: 'combine', entryShape: [1, 2], ids: Int32Array.of(0, 1), weights: Float32Array.of(1, 1) });
 * // Float32Array [4, 6]
 */
export function gatherForward(data: Float32Array, cols: number, job: GatherJob): Float32Array {
  const out = new Float32Array(outerSize(job) * cols);
  const { ids, weights } = job;
  if (job.kind === 'combine') {
    const W = job.entryShape[1];
    for (let b = 0; b < job.entryShape[0]; b++) {
      for (let k = 0; k < W; k++) {
        const e = b * W + k;
        const w = weights ? weights[e] : 1;
        const src = ids[e] * cols;
        for (let j = 0; j < cols; j++)
          out[b * cols + j] = Math.fround(out[b * cols + j] + Math.fround(data[src + j] * w));
      }
    }
  } else {
    for (let e = 0; e < ids.length; e++) {
      const w = weights ? weights[e] : 1;
      const src = ids[e] * cols;
      for (let j = 0; j < cols; j++) out[e * cols + j] = weights ? Math.fround(data[src + j] * w) : data[src + j];
    }
  }
  return out;
}

/**
 * The transpose of {@link gatherForward}: adds `dy[b or e, j] * w` into `grad[ids[e], j]`, entry by
 * entry in order (float32).
 */
export function gatherBackward(grad: Float32Array, cols: number, job: GatherJob, dy: Float32Array): void {
  const { ids, weights } = job;
  if (dy.length !== outerSize(job) * cols) {
    throw new InvalidArgumentError(
      `Core backward: the output gradient has ${dy.length} floats; expected ${outerSize(job) * cols} for this lookup.`,
    );
  }
  const W = job.kind === 'combine' ? job.entryShape[1] : 1;
  for (let e = 0; e < ids.length; e++) {
    const w = weights ? weights[e] : 1;
    if (w === 0) continue;
    const o = Math.floor(e / W) * cols;
    const dst = ids[e] * cols;
    for (let j = 0; j < cols; j++) grad[dst + j] = Math.fround(grad[dst + j] + Math.fround(dy[o + j] * w));
  }
}

function pickRows(data: Float32Array, cols: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    out.set(data.subarray(r * cols, (r + 1) * cols), i * cols);
  });
  return out;
}

/**
 * Runs one call of a core's work on the tables it holds (updated in place by `apply`). The only
 * code between a core's tables and the rest of the step, in-process and on a worker alike.
 *
 * @example
 * runCoreWork(tables, { op: 'forward', jobs }).outputs; // one Float32Array per job
 */
export function runCoreWork(tables: readonly CoreTable[], work: CoreWork): CoreWorkResult {
  switch (work.op) {
    case 'forward': {
      for (const job of work.jobs) checkIds(job, sourceOf(tables, job).rows);
      return {
        op: 'forward',
        outputs: work.jobs.map((job) => {
          const s = sourceOf(tables, job);
          return gatherForward(s.data, s.cols, job);
        }),
      };
    }
    case 'backward': {
      if (work.dys.length !== work.jobs.length) {
        throw new InvalidArgumentError(
          `Core backward: ${work.jobs.length} lookups but ${work.dys.length} output gradients.`,
        );
      }
      for (const job of work.jobs) checkIds(job, sourceOf(tables, job).rows);
      const grads: (Float32Array | null)[] = tables.map(() => null);
      work.jobs.forEach((job, k) => {
        const s = sourceOf(tables, job);
        let g = grads[job.table];
        if (!g) {
          g = new Float32Array(s.data.length);
          grads[job.table] = g;
        }
        gatherBackward(g, s.cols, job, work.dys[k]);
      });
      return { op: 'backward', grads };
    }
    case 'rows': {
      const t = tableOf(tables, work.table);
      const out = new Float32Array(work.rows.length * t.cols);
      work.rows.forEach((r, i) => {
        if (!(r >= 0 && r < t.rows))
          throw new InvalidArgumentError(`Core rows: row ${r} is outside the ${t.rows} rows held.`);
        out.set(t.params.subarray(r * t.cols, (r + 1) * t.cols), i * t.cols);
      });
      return { op: 'rows', values: out };
    }
    case 'apply': {
      for (const u of work.updates) {
        const t = tableOf(tables, u.table);
        if (u.grad.length !== t.params.length) {
          throw new InvalidArgumentError(
            `Core apply: the gradient of table ${u.table} has ${u.grad.length} floats; the core holds ${t.params.length}.`,
          );
        }
        if (!t.optimizer) throw new InvalidArgumentError(`Core apply: table ${u.table} has no optimizer.`);
        for (const r of u.rows) {
          if (!(r >= 0 && r < t.rows)) {
            throw new InvalidArgumentError(
              `Core apply: row ${r} of table ${u.table} is outside the ${t.rows} rows held.`,
            );
          }
        }
      }
      for (const u of work.updates) {
        const t = tables[u.table];
        t.optimizer?.apply(t.params, t.slots, u.grad, t.cols, u.rows);
      }
      return {
        op: 'apply',
        tables: work.updates.map((u) => {
          const t = tables[u.table];
          return {
            table: u.table,
            rows: Int32Array.from(u.rows),
            values: pickRows(t.params, t.cols, u.rows),
            slots: t.slots.map((sl) => pickRows(sl, t.cols, u.rows)),
          };
        }),
      };
    }
    default:
      throw new InvalidArgumentError(`Unknown core op ${show((work as { op: unknown }).op)}.`);
  }
}

/** One table as placed on a worker. */
export interface PlacedTable {
  rows: number;
  cols: number;
  params: Float32Array;
  slots: Float32Array[];
  optimizer: OptimizerSpec | null;
}

/** What the host sends a worker about TPU cores (through the pool's `tpuCore` call). */
export type TpuCoreRequest =
  /** Places (or replaces) core `core` of strategy `strategy` with these tables. */
  | { kind: 'place'; strategy: number; core: number; tables: PlacedTable[] }
  | { kind: 'work'; strategy: number; core: number; work: CoreWork }
  /** Every table and slot of the core, as held. */
  | { kind: 'read'; strategy: number; core: number }
  /** Forgets every core of the strategy. */
  | { kind: 'drop'; strategy: number };

/** The answer to a {@link TpuCoreRequest}. */
export type TpuCoreResponse =
  | { kind: 'placed'; floats: number }
  | { kind: 'work'; result: CoreWorkResult }
  | { kind: 'read'; tables: { params: Float32Array; slots: Float32Array[] }[] }
  | { kind: 'dropped'; cores: number };

/**
 * The TPU cores a worker holds, by strategy and core. The pool's ShardHost forwards `tpuCore`
 * calls here; core c of a strategy lives on worker c mod (pool size).
 *
 * @example
 * const host = new TpuCoreHost();
 * host.handle({ kind: 'place', strategy: 1, core: 0, tables: [{ rows: 2, cols: 1, params: Float32Array.of(1, 2), slots: [], optimizer: { kind: 'SGD', options: { learningRate: 0.1 } } }] });
 */
export class TpuCoreHost {
  private readonly cores = new Map<string, CoreTable[]>();

  private core(strategy: number, core: number): CoreTable[] {
    const c = this.cores.get(`${strategy}:${core}`);
    if (!c) {
      throw new InvalidArgumentError(
        `This worker holds no core ${core} of strategy ${strategy}; it must be placed before it runs.`,
      );
    }
    return c;
  }

  handle(req: TpuCoreRequest): TpuCoreResponse {
    switch (req.kind) {
      case 'place': {
        const tables = req.tables.map((t, i) => {
          if (t.params.length !== t.rows * t.cols || t.slots.some((s) => s.length !== t.params.length)) {
            throw new InvalidArgumentError(
              `TpuCoreHost.place: table ${i} is [${t.rows}, ${t.cols}] but holds ${t.params.length} floats (slots ${t.slots.map((s) => s.length).join(', ')}).`,
            );
          }
          return {
            rows: t.rows,
            cols: t.cols,
            params: Float32Array.from(t.params),
            slots: t.slots.map((s) => Float32Array.from(s)),
            optimizer: t.optimizer ? optimizerFromSpec(t.optimizer) : null,
          };
        });
        this.cores.set(`${req.strategy}:${req.core}`, tables);
        return { kind: 'placed', floats: tables.reduce((a, t) => a + t.params.length * (1 + t.slots.length), 0) };
      }
      case 'work':
        return { kind: 'work', result: runCoreWork(this.core(req.strategy, req.core), req.work) };
      case 'read':
        return {
          kind: 'read',
          tables: this.core(req.strategy, req.core).map((t) => ({
            params: Float32Array.from(t.params),
            slots: t.slots.map((s) => Float32Array.from(s)),
          })),
        };
      case 'drop': {
        let n = 0;
        for (const k of [...this.cores.keys()]) {
          if (k.startsWith(`${req.strategy}:`)) {
            this.cores.delete(k);
            n++;
          }
        }
        return { kind: 'dropped', cores: n };
      }
      default:
        throw new InvalidArgumentError(`Unknown TPU core request ${show((req as { kind: unknown }).kind)}.`);
    }
  }
}
