// The three ways a sharded step moves data between cores, one function each. Each runs the
// forward pass (ids to the owners of the rows, outputs or rows back), the user's step on every core,
// and the backward pass (output gradients to the owners), and leaves each owner's table gradients
// and touched rows in the pass state; shardedStep (sharded-step.ts) applies them.
import { RingCollective } from './collectives.js';
import type { GatherJob } from './core.js';
import { allCores, backwardOn, type CoreResult, forwardOn, jobOf, rowsOn } from './core-step.js';
import { type PreparedFeature, stageAElements } from './lookup.js';
import { runRing } from './ring-hooks.js';
import type { CommLog } from './collectives.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import type { CoreExecutor } from './execution.js';
import type { RunHooks } from './ring-hooks.js';
import { FLOAT_BYTES, ID_RECORD_BYTES, type TableLayout } from './sharding.js';

/** A sharded step's state, shared by its pass. */
export interface ShardedPass {
  n: number;
  emb: TPUEmbeddingV0;
  /** prepared[r][f]: core r's slice of feature f. */
  prepared: PreparedFeature[][];
  layouts: TableLayout[];
  log: CommLog;
  cores: CoreExecutor;
  hooks: RunHooks;
  /** gradShards[o][t]: the gradient of core o's shard of table t. */
  gradShards: (Float32Array | null)[][];
  /** touched[o][t]: core o's local rows of table t that were read. */
  touched: Set<number>[][];
  featureName(f: number): string;
  tableOf(f: number): number;
  /** Keeps core o's table gradients (one per table, null where none). */
  addGrads(o: number, grads: (Float32Array | null)[]): void;
  /** The user's step on every core's activations `acts[r][f]`. */
  runSteps(acts: Float32Array[][]): CoreResult[];
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
 * mod: each core asks each owner for the distinct rows its lookups need (all-to-all of ids and
 * rows), computes its lookups on them, and sends each row's gradient back to its owner.
 */
export async function modPass(s: ShardedPass): Promise<CoreResult[]> {
  const { n, emb, prepared, layouts, log, cores, gradShards, touched, runSteps } = s;
  // Each core asks each owner for the distinct rows it needs; lookups then run on them.
  const uniq: number[][][] = []; // [core][table] -> ids
  const idsM = log.matrix();
  const rowsM = log.matrix();
  const asks: { r: number; ti: number; o: number; at: number[]; local: number[] }[] = [];
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
    layouts.forEach((l, ti) => {
      const byOwner = new Map<number, { at: number[]; local: number[] }>();
      u[ti].forEach((id, j) => {
        const o = l.owner(id);
        let a = byOwner.get(o);
        if (!a) {
          a = { at: [], local: [] };
          byOwner.set(o, a);
        }
        a.at.push(j);
        a.local.push(l.localRow(id));
        if (o !== r) {
          idsM[r][o] += FLOAT_BYTES;
          rowsM[o][r] += l.dim * FLOAT_BYTES;
        }
      });
      for (const [o, a] of [...byOwner].sort((x, y) => x[0] - y[0])) asks.push({ r, ti, o, ...a });
    });
  }
  const answers = await Promise.all(asks.map((a) => rowsOn(cores, a.o, a.ti, Int32Array.from(a.local))));
  const recv = uniq.map((u) => layouts.map((l, ti) => new Float32Array(Math.max(1, u[ti].length) * l.dim)));
  asks.forEach((a, k) => {
    const D = layouts[a.ti].dim;
    a.at.forEach((j, i) => {
      recv[a.r][a.ti].set(answers[k].subarray(i * D, (i + 1) * D), j * D);
    });
  });
  log.record('all-to-all', 'ids', 'forward', idsM);
  log.record('all-to-all', 'rows', 'forward', rowsM);
  const jobs = prepared.map((pr, r) =>
    pr.map((p) => {
      const ti = emb.tableIndex(p.feature.table);
      const pos = new Map(uniq[r][ti].map((id, j) => [id, j]));
      const local = Int32Array.from(p.ids, (id, k) => (p.present[k] ? (pos.get(id) ?? 0) : 0));
      return jobOf(p, ti, local, p.weights, recv[r][ti]);
    }),
  );
  const acts = await allCores(n, (r) => forwardOn(cores, r, jobs[r]));
  const results = runSteps(acts);
  const recvGrads = await allCores(n, (r) => backwardOn(cores, r, jobs[r], results[r].grads));
  const gradM = log.matrix();
  for (let r = 0; r < n; r++) {
    layouts.forEach((l, ti) => {
      const D = l.dim;
      const src = recvGrads[r][ti];
      if (!src) return;
      uniq[r][ti].forEach((id, j) => {
        const o = l.owner(id);
        const lr = l.localRow(id);
        let g = gradShards[o][ti];
        if (!g) {
          g = new Float32Array(l.sizeOn(o));
          gradShards[o][ti] = g;
        }
        for (let d = 0; d < D; d++) g[lr * D + d] += src[j * D + d];
        touched[o][ti].add(lr);
        if (o !== r) gradM[r][o] += D * FLOAT_BYTES;
      });
    });
  }
  log.record('all-to-all', 'row gradients', 'backward', gradM);
  return results;
}

/**
 * table / column: each owner computes its column slice of every core's lookups; outputs and
 * output gradients travel by all-to-all.
 */
export async function columnPass(s: ShardedPass): Promise<CoreResult[]> {
  const { n, prepared, layouts, log, cores, touched, featureName, tableOf, addGrads, runSteps } = s;
  const F = prepared[0].length;
  // Owners compute their column slice of every core's lookups; outputs go back by all-to-all.
  const ownerJobs: GatherJob[][] = Array.from({ length: n }, () => []);
  const ownerIndex: { f: number; r: number }[][] = Array.from({ length: n }, () => []);
  for (let f = 0; f < F; f++) {
    const ti = tableOf(f);
    const l = layouts[ti];
    const idsM = log.matrix();
    const outM = log.matrix();
    for (let r = 0; r < n; r++) {
      const p = prepared[r][f];
      for (let o = 0; o < n; o++) {
        const cols = l.colsOn(o);
        if (cols === 0) continue;
        ownerJobs[o].push(jobOf(p, ti));
        ownerIndex[o].push({ f, r });
        if (o !== r) {
          idsM[r][o] += presentCount(p) * ID_RECORD_BYTES;
          outM[o][r] += stageAElements(p, cols) * FLOAT_BYTES;
        }
      }
    }
    log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsM);
    log.record('all-to-all', `${featureName(f)}/outputs`, 'forward', outM);
  }
  const outs = await allCores(n, (o) => forwardOn(cores, o, ownerJobs[o]));
  const acts = prepared.map((pr) => pr.map((p) => new Float32Array(stageAElements(p, p.feature.table.dim))));
  for (let o = 0; o < n; o++) {
    ownerIndex[o].forEach(({ f, r }, k) => {
      const l = layouts[tableOf(f)];
      const cols = l.colsOn(o);
      const part = outs[o][k];
      const dst = acts[r][f];
      for (let i = 0; i < part.length / cols; i++) {
        dst.set(part.subarray(i * cols, (i + 1) * cols), i * l.dim + l.colStarts[o]);
      }
    });
  }
  const results = runSteps(acts);
  // Backward: each owner gets its column slice of the output gradients.
  const dys: Float32Array[][] = Array.from({ length: n }, () => []);
  for (let f = 0; f < F; f++) {
    const l = layouts[tableOf(f)];
    const dyM = log.matrix();
    for (let r = 0; r < n; r++) {
      const dy = results[r].grads[f];
      const outer = dy.length / l.dim;
      for (let o = 0; o < n; o++) {
        const cols = l.colsOn(o);
        if (cols === 0) continue;
        if (o !== r) dyM[r][o] += outer * cols * FLOAT_BYTES;
      }
    }
    log.record('all-to-all', `${featureName(f)}/output gradients`, 'backward', dyM);
  }
  for (let o = 0; o < n; o++) {
    for (const { f, r } of ownerIndex[o]) {
      const l = layouts[tableOf(f)];
      const cols = l.colsOn(o);
      const dy = results[r].grads[f];
      const outer = dy.length / l.dim;
      const slice = new Float32Array(outer * cols);
      for (let i = 0; i < outer; i++) {
        for (let j = 0; j < cols; j++) slice[i * cols + j] = dy[i * l.dim + l.colStarts[o] + j];
      }
      dys[o].push(slice);
      const p = prepared[r][f];
      p.ids.forEach((id, k) => {
        if (p.present[k]) touched[o][tableOf(f)].add(id);
      });
    }
  }
  const grads = await allCores(n, (o) => backwardOn(cores, o, ownerJobs[o], dys[o]));
  grads.forEach((g, o) => {
    addGrads(o, g);
  });
  return results;
}

/**
 * row: every owner computes its partial sums of every core's lookups, a ring reduce-scatter adds
 * them up; the output gradients are all-gathered and each owner scatters the ones of its rows.
 */
export async function rowPass(s: ShardedPass): Promise<CoreResult[]> {
  const { n, prepared, layouts, log, cores, hooks, touched, featureName, tableOf, addGrads, runSteps } = s;
  const F = prepared[0].length;
  // row: every owner computes its partial sums for every core; a ring reduce-scatter adds them up.
  const ownerJobs: GatherJob[][] = Array.from({ length: n }, () => []);
  const ownerIndex: { f: number; r: number; rows: number[] }[][] = Array.from({ length: n }, () => []);
  const idsMs: number[][][] = [];
  for (let f = 0; f < F; f++) {
    const ti = tableOf(f);
    const l = layouts[ti];
    const idsM = log.matrix();
    for (let o = 0; o < n; o++) {
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
          ownerJobs[o].push(jobOf(p, ti, part.ids, part.weights));
          ownerIndex[o].push({ f, r, rows: part.rows });
        }
      }
    }
    idsMs.push(idsM);
  }
  const outs = await allCores(n, (o) => forwardOn(cores, o, ownerJobs[o]));
  const acts: Float32Array[][] = Array.from({ length: n }, () => new Array<Float32Array>(F));
  const sizesOf = (f: number): number[] => prepared.map((pr) => stageAElements(pr[f], layouts[tableOf(f)].dim));
  for (let f = 0; f < F; f++) {
    const sizes = sizesOf(f);
    const starts = sizes.map((_, r) => sizes.slice(0, r).reduce((a, b) => a + b, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const buffers = Array.from({ length: n }, () => new Float32Array(total));
    for (let o = 0; o < n; o++) {
      ownerIndex[o].forEach((at, k) => {
        if (at.f === f) buffers[o].set(outs[o][k], starts[at.r]);
      });
    }
    log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsMs[f]);
    const ring = await runRing(
      new RingCollective(buffers, { op: 'reduce-scatter', chunkSizes: sizes }),
      `${featureName(f)}/outputs`,
      'forward',
      hooks,
    );
    log.record('reduce-scatter', `${featureName(f)}/outputs`, 'forward', ring.linkMatrix());
    for (let r = 0; r < n; r++) acts[r][f] = ring.result(r).slice(starts[r], starts[r] + sizes[r]);
  }
  const results = runSteps(acts);
  // Backward: output gradients all-gathered; each owner scatters the ones of its rows.
  const dys: Float32Array[][] = Array.from({ length: n }, () => []);
  const gathered: Float32Array[][] = []; // [f][o]
  for (let f = 0; f < F; f++) {
    const sizes = sizesOf(f);
    const total = sizes.reduce((a, b) => a + b, 0);
    let off = 0;
    const buffers = results.map((res, r) => {
      const b = new Float32Array(total);
      b.set(res.grads[f], off);
      off += sizes[r];
      return b;
    });
    const ring = await runRing(
      new RingCollective(buffers, { op: 'all-gather', chunkSizes: sizes }),
      `${featureName(f)}/output gradients`,
      'backward',
      hooks,
    );
    log.record('all-gather', `${featureName(f)}/output gradients`, 'backward', ring.linkMatrix());
    gathered.push(ring.results());
  }
  for (let o = 0; o < n; o++) {
    for (const { f, r, rows } of ownerIndex[o]) {
      const sizes = sizesOf(f);
      const at = sizes.slice(0, r).reduce((a, b) => a + b, 0);
      dys[o].push(gathered[f][o].slice(at, at + sizes[r]));
      for (const lr of rows) touched[o][tableOf(f)].add(lr);
    }
  }
  const grads = await allCores(n, (o) => backwardOn(cores, o, ownerJobs[o], dys[o]));
  grads.forEach((g, o) => {
    addGrads(o, g);
  });
  return results;
}
