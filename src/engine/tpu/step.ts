// One training step on the virtual cores. A core's work is a pure function of its replica (or the
// rows routed to it) and its batch slice: `coreForwardBackward` takes the core's table tensors,
// its slice and the step function and returns its loss and gradients, touching no other core's
// state, so it can move to a worker unchanged. Everything between cores goes through the
// collectives, whose bytes are logged.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { type CollectiveFault, type CommLog, RingCollective } from './collectives.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import { batchSizeOf, forEachLeaf, mapLeaves, sliceBatch } from './inputs.js';
import { type PreparedFeature, stageA, stageAElements, stageB } from './lookup.js';
import { FLOAT_BYTES, ID_RECORD_BYTES } from './sharding.js';
import type { RunContext, VirtualTPUStrategy } from './strategy.js';

/** The global batch given to `strategy.run`: features, optional weights, and anything else (labels). */
export interface GlobalBatch {
  features: unknown;
  weights?: unknown;
  [key: string]: unknown;
}

/** The per-core step: gets the core's slice of the batch, returns the core's scalar loss. */
export type StepFn = (slice: GlobalBatch) => tf.Tensor;

/**
 * Splits every tensor, nested array, SparseTensor and RaggedTensor of the batch contiguously over
 * `n` cores. Throws (changing nothing) when a batch size is not divisible by n.
 *
 * @example
 * splitBatch({ features: { a: [[1], [2]] } }, 2)[1].features; // { a: [[2]] }
 */
export function splitBatch(batch: GlobalBatch, n: number): GlobalBatch[] {
  if (batch === null || typeof batch !== 'object' || !('features' in batch)) {
    throw new InvalidArgumentError(
      `strategy.run expects a global batch { features, weights?, ... }, got ${show(batch)}.`,
    );
  }
  forEachLeaf(batch, '', (leaf, path) => {
    const b = batchSizeOf(leaf, path);
    if (b % n !== 0) {
      throw new InvalidArgumentError(
        `strategy.run: the global batch size of ${path} is ${b}, which does not split evenly over ${n} cores; expected a multiple of ${n}.`,
      );
    }
  });
  return Array.from({ length: n }, (_, r) => mapLeaves(batch, (leaf) => sliceBatch(leaf, r, n)) as GlobalBatch);
}

/** What one core's forward and backward pass produced. */
export interface CoreResult {
  /** The unscaled loss. */
  loss: number;
  /** d(loss / n) / d(leaf) for every leaf, flat, zeros where the loss does not depend on it. */
  grads: Float32Array[];
}

/**
 * Runs the step function as one core: `leaves` are the tensors the core's lookups read
 * (table replicas, received rows or received activations), `ctx` resolves lookups against them.
 * Returns the loss and the gradient of `loss * scale` with respect to each leaf.
 */
export function coreForwardBackward(
  strategy: VirtualTPUStrategy,
  ctx: RunContext,
  leaves: tf.Tensor[],
  step: StepFn,
  slice: GlobalBatch,
  scale: number,
): CoreResult {
  let loss = 0;
  const { value, grads } = strategy.withContext(ctx, () =>
    tf.engine().gradients(
      () => {
        const out: unknown = step(slice);
        if (!(out instanceof tf.Tensor) || out.size !== 1) {
          throw new InvalidArgumentError(
            `strategy.run: the step function must return (synchronously) a scalar tf.Tensor loss, got ${out instanceof tf.Tensor ? `a tensor of shape [${out.shape.join(', ')}]` : show(out)}.`,
          );
        }
        loss = out.dataSync()[0];
        return tf.mul(tf.reshape(out, []), scale);
      },
      leaves,
      undefined,
      true,
    ),
  );
  value.dispose();
  const flat = leaves.map((leaf, i) => {
    const g = grads[i];
    const data = g ? Float32Array.from(g.dataSync()) : new Float32Array(leaf.size);
    g?.dispose();
    return data;
  });
  return { loss, grads: flat };
}

function unionRows(sets: Iterable<number>[]): number[] {
  const u = new Set<number>();
  for (const s of sets) for (const r of s) u.add(r);
  return [...u].sort((a, b) => a - b);
}

function allRows(rows: number): number[] {
  return Array.from({ length: rows }, (_, i) => i);
}

/** Replicated (TPUEmbeddingV0) step: local lookups, gradient ring all-reduce per table, same update everywhere. */
export function replicatedStep(
  strategy: VirtualTPUStrategy,
  embeddings: readonly TPUEmbeddingV0[],
  step: StepFn,
  slices: GlobalBatch[],
  faults: readonly CollectiveFault[],
  log: CommLog,
): number[] {
  const n = strategy.numCores;
  const results: CoreResult[] = [];
  const touched: Set<number>[][][] = []; // [core][emb][table]
  for (let r = 0; r < n; r++) {
    const leaves = new Map<TPUEmbeddingV0, tf.Tensor[]>();
    const seen = embeddings.map((e) => e.tables.map(() => new Set<number>()));
    for (const emb of embeddings) {
      leaves.set(
        emb,
        emb.tables.map((t, ti) => tf.tensor2d(emb.shard(r, ti).params, [t.vocabularySize, t.dim])),
      );
    }
    const ctx: RunContext = {
      core: r,
      lookup: (emb, prepared) => {
        const ts = leaves.get(emb);
        if (!ts)
          throw new RuntimeError(
            'This TPUEmbeddingV0 belongs to another strategy; it cannot be looked up in this run.',
          );
        const ei = embeddings.indexOf(emb);
        return prepared.map((p) => {
          const ti = emb.tableIndex(p.feature.table);
          p.ids.forEach((id, k) => {
            if (p.present[k]) seen[ei][ti].add(id);
          });
          return stageB(p, stageA(p, ts[ti]));
        });
      },
    };
    const flatLeaves = embeddings.flatMap((e) => leaves.get(e) ?? []);
    try {
      results.push(coreForwardBackward(strategy, ctx, flatLeaves, step, slices[r], 1 / n));
    } finally {
      for (const l of flatLeaves) l.dispose();
    }
    touched.push(seen);
  }
  // Nothing has changed until every core finished; now the cross-replica sum and the updates.
  let k = 0;
  embeddings.forEach((emb, ei) => {
    emb.tables.forEach((t, ti) => {
      const idx = k++;
      const ring = new RingCollective(
        results.map((res) => res.grads[idx]),
        { op: 'all-reduce', faults },
      ).run();
      log.record('all-reduce', t.name ?? `table_${ti}`, 'backward', ring.linkMatrix());
      const opt = emb.optimizerFor(t);
      if (!opt) throw new RuntimeError(`table ${t.name} has no optimizer.`);
      const rows = opt.updatesUntouchedRows() ? allRows(t.vocabularySize) : unionRows(touched.map((c) => c[ei][ti]));
      for (let r = 0; r < n; r++) {
        const sh = emb.shard(r, ti);
        opt.apply(sh.params, sh.slots, ring.result(r), t.dim, rows);
      }
    });
  });
  return results.map((r) => r.loss);
}

function vjp(
  p: PreparedFeature,
  shard: Float32Array,
  rows: number,
  cols: number,
  dy: Float32Array,
  ids?: Int32Array,
  weights?: Float32Array | null,
): Float32Array {
  const x = tf.tensor2d(shard, [rows, cols]);
  const shape = p.kind === 'combine' ? [p.entryShape[0], cols] : [...p.entryShape, cols];
  const dyT = tf.tensor(dy, shape);
  const { value, grads } = tf.engine().gradients(() => stageA(p, x, ids, weights), [x], dyT, true);
  const out = grads[0] ? Float32Array.from(grads[0].dataSync()) : new Float32Array(rows * cols);
  value.dispose();
  grads[0]?.dispose();
  x.dispose();
  dyT.dispose();
  return out;
}

function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}

/** Ids and weights of `p` restricted to the rows core `o` owns (others: local row 0, weight 0). */
function ownedPart(p: PreparedFeature, owner: (id: number) => number, local: (id: number) => number, o: number) {
  const ids = new Int32Array(p.ids.length);
  const weights = new Float32Array(p.ids.length);
  let routed = 0;
  const rows: number[] = [];
  p.ids.forEach((id, k) => {
    if (!p.present[k] || owner(id) !== o) return;
    ids[k] = local(id);
    weights[k] = p.weights ? p.weights[k] : 1;
    routed++;
    rows.push(ids[k]);
  });
  return { ids, weights, routed, rows };
}

const presentCount = (p: PreparedFeature): number => p.present.reduce((a, b) => a + b, 0);

/**
 * Sharded step (table / column / row / mod): ids routed to the cores that hold the rows, outputs
 * (or rows) routed back, the user's step on each core, gradients routed to the owners, each owner
 * updates its shard. Same math as replicated, so the same outputs and trained tables.
 */
export function shardedStep(
  strategy: VirtualTPUStrategy,
  emb: TPUEmbeddingV0,
  step: StepFn,
  slices: GlobalBatch[],
  log: CommLog,
): number[] {
  const n = strategy.numCores;
  const mode = strategy.sharding;
  const prepared = slices.map((s) => emb.prepare(s.features, s.weights));
  const T = emb.tables.length;
  const F = prepared[0].length;
  const layouts = emb.tables.map((_, ti) => emb.layout(ti));
  const shardTensor = (o: number, ti: number): tf.Tensor2D =>
    tf.tensor2d(emb.shard(o, ti).params, [layouts[ti].rowsOn(o), layouts[ti].colsOn(o)]);
  // grads[o][t]: the gradient of core o's shard of table t; touched[o][t]: its local rows that were read.
  const gradShards = Array.from({ length: n }, (_, o) => layouts.map((l) => new Float32Array(l.sizeOn(o))));
  const touched = Array.from({ length: n }, () => layouts.map(() => new Set<number>()));
  const featureName = (f: number): string => prepared[0][f].feature.name ?? `feature_${f}`;

  let results: CoreResult[];
  if (mode === 'mod') {
    // Each core asks each owner for the distinct rows it needs; lookups then run locally on them.
    const uniq: number[][][] = []; // [core][table] -> ids
    const recv: Float32Array[][] = [];
    const idsM = log.matrix();
    const rowsM = log.matrix();
    for (let r = 0; r < n; r++) {
      const u = layouts.map(() => [] as number[]);
      const index = layouts.map(() => new Map<number, number>());
      prepared[r].forEach((p) => {
        const ti = emb.tableIndex(p.feature.table);
        p.ids.forEach((id, k) => {
          if (p.present[k] && !index[ti].has(id)) {
            index[ti].set(id, u[ti].length);
            u[ti].push(id);
          }
        });
      });
      uniq.push(u);
      recv.push(
        layouts.map((l, ti) => {
          const D = l.dim;
          const buf = new Float32Array(Math.max(1, u[ti].length) * D);
          u[ti].forEach((id, j) => {
            const o = l.owner(id);
            const lr = l.localRow(id);
            buf.set(emb.shard(o, ti).params.subarray(lr * D, (lr + 1) * D), j * D);
            if (o !== r) {
              idsM[r][o] += FLOAT_BYTES;
              rowsM[o][r] += D * FLOAT_BYTES;
            }
          });
          return buf;
        }),
      );
    }
    log.record('all-to-all', 'ids', 'forward', idsM);
    log.record('all-to-all', 'rows', 'forward', rowsM);
    results = [];
    for (let r = 0; r < n; r++) {
      const leaves = layouts.map((l, ti) => tf.tensor2d(recv[r][ti], [recv[r][ti].length / l.dim, l.dim]));
      const localIds = prepared[r].map((p) => {
        const ti = emb.tableIndex(p.feature.table);
        const pos = new Map(uniq[r][ti].map((id, j) => [id, j]));
        return Int32Array.from(p.ids, (id, k) => (p.present[k] ? (pos.get(id) ?? 0) : 0));
      });
      const ctx: RunContext = {
        core: r,
        lookup: (e, _p, features, weights) => {
          checkSlice(e, emb, features, weights, slices[r]);
          return prepared[r].map((p, f) => stageB(p, stageA(p, leaves[emb.tableIndex(p.feature.table)], localIds[f])));
        },
      };
      try {
        results.push(coreForwardBackward(strategy, ctx, leaves, step, slices[r], 1 / n));
      } finally {
        for (const l of leaves) l.dispose();
      }
    }
    const gradM = log.matrix();
    for (let r = 0; r < n; r++) {
      layouts.forEach((l, ti) => {
        const D = l.dim;
        uniq[r][ti].forEach((id, j) => {
          const o = l.owner(id);
          const lr = l.localRow(id);
          const g = gradShards[o][ti];
          const src = results[r].grads[ti];
          for (let d = 0; d < D; d++) g[lr * D + d] += src[j * D + d];
          touched[o][ti].add(lr);
          if (o !== r) gradM[r][o] += D * FLOAT_BYTES;
        });
      });
    }
    log.record('all-to-all', 'row gradients', 'backward', gradM);
  } else {
    // table / column / row: owners compute (partial) outputs; cores receive activations.
    const acts: Float32Array[][] = Array.from({ length: n }, () => new Array<Float32Array>(F));
    for (let f = 0; f < F; f++) {
      const ti = emb.tableIndex(prepared[0][f].feature.table);
      const l = layouts[ti];
      const idsM = log.matrix();
      const outM = log.matrix();
      if (mode === 'table' || mode === 'column') {
        for (let r = 0; r < n; r++) {
          const p = prepared[r][f];
          const parts: tf.Tensor[] = [];
          for (let o = 0; o < n; o++) {
            if (l.colsOn(o) === 0) continue;
            const x = shardTensor(o, ti);
            const part = stageA(p, x);
            x.dispose();
            parts.push(part);
            if (o !== r) {
              idsM[r][o] += presentCount(p) * ID_RECORD_BYTES;
              outM[o][r] += part.size * FLOAT_BYTES;
            }
          }
          const joined = parts.length === 1 ? parts[0] : tf.concat(parts, -1);
          acts[r][f] = Float32Array.from(joined.dataSync());
          joined.dispose();
          for (const p2 of parts) p2.dispose();
        }
        log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsM);
        log.record('all-to-all', `${featureName(f)}/outputs`, 'forward', outM);
      } else {
        // row: every owner computes its partial sums for every core; a ring reduce-scatter adds them up.
        const sizes = prepared.map((pr) => stageAElements(pr[f], l.dim));
        const buffers: Float32Array[] = [];
        for (let o = 0; o < n; o++) {
          const buf = new Float32Array(sizes.reduce((a, b) => a + b, 0));
          let off = 0;
          for (let r = 0; r < n; r++) {
            const p = prepared[r][f];
            const part = ownedPart(
              p,
              (id) => l.owner(id),
              (id) => l.localRow(id),
              o,
            );
            if (o !== r) idsM[r][o] += part.routed * ID_RECORD_BYTES;
            if (part.routed > 0) {
              const x = shardTensor(o, ti);
              const y = stageA(p, x, part.ids, part.weights);
              buf.set(y.dataSync(), off);
              x.dispose();
              y.dispose();
            }
            off += sizes[r];
          }
          buffers.push(buf);
        }
        log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsM);
        const ring = new RingCollective(buffers, { op: 'reduce-scatter', chunkSizes: sizes }).run();
        log.record('reduce-scatter', `${featureName(f)}/outputs`, 'forward', ring.linkMatrix());
        let off = 0;
        for (let r = 0; r < n; r++) {
          acts[r][f] = ring.result(r).slice(off, off + sizes[r]);
          off += sizes[r];
        }
      }
    }
    results = [];
    for (let r = 0; r < n; r++) {
      const leaves = prepared[r].map((p, f) => {
        const D = p.feature.table.dim;
        return tf.tensor(acts[r][f], p.kind === 'combine' ? [p.entryShape[0], D] : [...p.entryShape, D]);
      });
      const ctx: RunContext = {
        core: r,
        lookup: (e, _p, features, weights) => {
          checkSlice(e, emb, features, weights, slices[r]);
          return prepared[r].map((p, f) => stageB(p, leaves[f]));
        },
      };
      try {
        results.push(coreForwardBackward(strategy, ctx, leaves, step, slices[r], 1 / n));
      } finally {
        for (const l of leaves) l.dispose();
      }
    }
    // Backward: output gradients to the owners, each owner turns them into its shard's gradient.
    for (let f = 0; f < F; f++) {
      const ti = emb.tableIndex(prepared[0][f].feature.table);
      const l = layouts[ti];
      const dyM = log.matrix();
      if (mode === 'table' || mode === 'column') {
        for (let r = 0; r < n; r++) {
          const p = prepared[r][f];
          const dy = results[r].grads[f];
          const outer = dy.length / l.dim;
          for (let o = 0; o < n; o++) {
            const cols = l.colsOn(o);
            if (cols === 0) continue;
            const slice = new Float32Array(outer * cols);
            for (let i = 0; i < outer; i++) {
              for (let j = 0; j < cols; j++) slice[i * cols + j] = dy[i * l.dim + l.colStarts[o] + j];
            }
            if (o !== r) dyM[r][o] += slice.length * FLOAT_BYTES;
            addInto(gradShards[o][ti], vjp(p, emb.shard(o, ti).params, l.rowsOn(o), cols, slice));
            p.ids.forEach((id, k) => {
              if (p.present[k]) touched[o][ti].add(id);
            });
          }
        }
        log.record('all-to-all', `${featureName(f)}/output gradients`, 'backward', dyM);
      } else {
        const sizes = prepared.map((pr) => stageAElements(pr[f], l.dim));
        const total = sizes.reduce((a, b) => a + b, 0);
        let off = 0;
        const buffers = results.map((res, r) => {
          const b = new Float32Array(total);
          b.set(res.grads[f], off);
          off += sizes[r];
          return b;
        });
        const ring = new RingCollective(buffers, { op: 'all-gather', chunkSizes: sizes }).run();
        log.record('all-gather', `${featureName(f)}/output gradients`, 'backward', ring.linkMatrix());
        for (let o = 0; o < n; o++) {
          if (l.rowsOn(o) === 0) continue;
          const all = ring.result(o);
          let at = 0;
          for (let r = 0; r < n; r++) {
            const p = prepared[r][f];
            const part = ownedPart(
              p,
              (id) => l.owner(id),
              (id) => l.localRow(id),
              o,
            );
            if (part.routed > 0) {
              const dy = all.subarray(at, at + sizes[r]);
              addInto(
                gradShards[o][ti],
                vjp(p, emb.shard(o, ti).params, l.rowsOn(o), l.dim, dy, part.ids, part.weights),
              );
              for (const lr of part.rows) touched[o][ti].add(lr);
            }
            at += sizes[r];
          }
        }
      }
    }
  }
  // Each owner applies the optimizer to its shard.
  for (let o = 0; o < n; o++) {
    for (let ti = 0; ti < T; ti++) {
      const l = layouts[ti];
      if (l.sizeOn(o) === 0) continue;
      const t = emb.tables[ti];
      const opt = emb.optimizerFor(t);
      if (!opt) throw new RuntimeError(`table ${t.name} has no optimizer.`);
      const rows = opt.updatesUntouchedRows() ? allRows(l.rowsOn(o)) : [...touched[o][ti]].sort((a, b) => a - b);
      const sh = emb.shard(o, ti);
      opt.apply(sh.params, sh.slots, gradShards[o][ti], l.colsOn(o), rows);
    }
  }
  return results.map((r) => r.loss);
}

function checkSlice(
  e: TPUEmbeddingV0,
  emb: TPUEmbeddingV0,
  features: unknown,
  weights: unknown,
  slice: GlobalBatch,
): void {
  if (e !== emb)
    throw new RuntimeError('This TPUEmbeddingV0 belongs to another strategy; it cannot be looked up in this run.');
  if (features !== slice.features || (weights ?? undefined) !== (slice.weights ?? undefined)) {
    throw new RuntimeError(
      "In a sharded strategy the lookups are routed between cores before the step runs, so inside strategy.run embeddingLookup must be called with the features (and weights) of the core's slice, exactly as given to the step function.",
    );
  }
}
