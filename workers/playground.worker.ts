// The playground's engine worker: holds the tables (de.Variable) and runs lookups off the main
// thread. Imports only the engine; the page talks to it through comlink. Inputs are plain JSON
// (the page has already validated them), outputs are plain data and typed arrays.
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import * as de from '../src/engine/index.js';
import { creationKey } from '../src/app/workspace/discard.js';
import { OTHER_SETTINGS } from '../src/app/training/saved.js';
import { poolSize } from '../src/app/workspace/schema.js';
import { restorePooled, restoreProblem, savePooled, type SavedPooledTable } from './pooled-state.js';
import { type NormHistogram, peek, type StepMetrics, type TrainConfig, Trainer, type TrainFeature } from './trainer.js';

export interface WorkerTable {
  name: string;
  dim: number;
  keyDtype: 'int32' | 'int64' | 'string';
  initializer: 'zeros' | 'constant' | 'randomNormal' | 'randomUniform' | 'truncatedNormal' | 'glorotUniform';
  initScale: number;
  initSeed: number;
  partitions: number;
  maxNorm: number;
  optimizer: 'SGD' | 'Momentum' | 'Adagrad' | 'Adam' | 'Ftrl' | 'RMSprop';
  learningRate: number;
  restrictPolicy: 'none' | 'timestamp' | 'frequency';
  restrictLimit: number;
  /** de.Variable insertOnLookup (fixed at creation). */
  insertOnLookup: boolean;
  /** Where the inspector's lookups gather rows: asked for; see {@link GatherInfo} for what ran. */
  gather: 'wasm' | 'webgl' | 'auto';
  /** 'in-process': a de.Variable in this worker; 'workers': de.pool.placeVariable on the worker pool. */
  placement: 'in-process' | 'workers';
}

/** The gather path a table asked for, the one that ran, and why (de.backendInfo().gatherReason). */
export interface GatherInfo {
  asked: 'wasm' | 'webgl' | 'auto';
  used: 'wasm' | 'webgl';
  reason: string;
  /** The asked path could not be used: `reason` says why. */
  fellBack: boolean;
}

export interface WorkerFeature {
  name: string;
  op: 'embedding' | 'squashed' | 'sparse' | 'sequence';
  combiner: 'none' | 'sum' | 'mean' | 'sqrtn';
  maxSequenceLength: number;
}

export interface WorkerBatch {
  shape: number[];
  rowSplits: number[] | null;
  ids: (number | bigint | string)[];
  weights: number[] | null;
}

export interface IdInfo {
  /** The id as typed. */
  id: string;
  /**
   * 'hit': the key was in the table; 'miss': it was not, the vector is the initializer's value and
   * the table is unchanged (TFRA lookup); 'inserted': it was not, and this lookup inserted it with
   * the initializer's value (insertOnLookup, find-or-insert).
   */
  status: 'hit' | 'miss' | 'inserted';
  shard: number;
  /** The pool worker holding the shard (placement 'workers'), else -1. */
  worker: number;
  /** Slot in the shard's control-byte array, -1 for a miss (and on the pool, where the slot is not read). */
  slot: number;
  /** Row in the shard's value arena, -1 for a miss. */
  row: number;
  /** The stored (or initializer) vector, before maxNorm. */
  vector: Float32Array;
  norm: number;
  /** maxNorm scales this vector down when looked up. */
  clipped: boolean;
}

export interface LookupReply {
  feature: string;
  table: string;
  engineCall: string;
  /** The shape of the tensor the engine returned. */
  shape: number[];
  output: Float32Array;
  ids: IdInfo[];
  tableSize: number;
  /** The table inserts missing keys on lookup. */
  insertOnLookup: boolean;
  gather: GatherInfo;
  /** Placement 'workers': how many pool workers hold the table's shards; null in-process. */
  poolWorkers: number | null;
  ms: number;
}

/** A table in this worker (in-process) or on the pool, with an in-process router for its ids. */
export type AnyVariable = de.Variable | de.pool.PooledVariable;

interface Held {
  key: string;
  ready: Promise<AnyVariable>;
  /** Set once `ready` resolved. */
  value: AnyVariable | null;
  /**
   * Pooled tables: an empty in-process Variable with the same options, used only to parse ids
   * and route keys to shards exactly as the pooled Variable does (de.Variable.shardOf).
   */
  router: de.Variable | null;
}

const tables = new Map<string, Held>();

let pool: Promise<de.pool.WorkerPool> | null = null;
let poolWorkers = 0;

/** The worker pool, started once, lazily, the first time a table is placed on it. */
function workerPool(): Promise<de.pool.WorkerPool> {
  if (!pool) {
    poolWorkers = poolSize(self.navigator?.hardwareConcurrency);
    pool = de.pool.WorkerPool.create({ size: poolWorkers, spawn: de.pool.browserSpawner() });
    pool.catch(() => {
      pool = null;
    });
  }
  return pool;
}

function disposeHeld(h: Held): void {
  h.router?.dispose();
  void h.ready.then(
    (v) => v.dispose(),
    () => undefined,
  );
}

/** The held table's Variable (resolved); throws when it is not ready. */
function current(name: string): AnyVariable {
  const h = tables.get(name);
  if (!h?.value) throw new Error(`Table ${name} is not ready yet.`);
  return h.value;
}

function isPooled(v: AnyVariable): v is de.pool.PooledVariable {
  return v instanceof de.pool.PooledVariable;
}

function initializerOf(t: WorkerTable): de.initializers.Initializer {
  const I = de.initializers;
  switch (t.initializer) {
    case 'zeros':
      return I.zeros();
    case 'constant':
      return I.constant(t.initScale);
    case 'randomNormal':
      return I.randomNormal({ mean: 0, stddev: t.initScale, seed: t.initSeed });
    case 'randomUniform':
      return I.randomUniform({ minval: -Math.abs(t.initScale), maxval: Math.abs(t.initScale), seed: t.initSeed });
    case 'truncatedNormal':
      return I.truncatedNormal({ mean: 0, stddev: t.initScale, seed: t.initSeed });
    case 'glorotUniform':
      return I.glorotUniform({ seed: t.initSeed });
  }
}

function variableOptions(t: WorkerTable): de.VariableOptions {
  return {
    name: t.name,
    dim: t.dim,
    keyDtype: t.keyDtype,
    initializer: initializerOf(t),
    partitions: t.partitions,
    restrictPolicy:
      t.restrictPolicy === 'timestamp'
        ? de.TimestampRestrictPolicy
        : t.restrictPolicy === 'frequency'
          ? de.FrequencyRestrictPolicy
          : undefined,
    insertOnLookup: t.insertOnLookup,
  };
}

/** The held table for a spec, recreated (empty) when a field fixed at creation changed. */
function heldFor(t: WorkerTable): Held {
  const key = creationKey(t);
  const held = tables.get(t.name);
  if (held && held.key === key) return held;
  if (held) disposeHeld(held);
  let h: Held;
  if (t.placement === 'workers') {
    const options = variableOptions(t);
    if (options.insertOnLookup) {
      throw new Error(
        `Table ${t.name}: insert on lookup cannot be used with placement on the worker pool (a pooled lookup is read-only).`,
      );
    }
    const ready = workerPool().then((p) => de.pool.placeVariable(p, options));
    h = { key, ready, value: null, router: new de.Variable({ ...options, initCapacity: t.partitions }) };
  } else {
    const v = new de.Variable(variableOptions(t));
    h = { key, ready: Promise.resolve(v), value: v, router: null };
  }
  h.ready.then(
    (v) => {
      h.value = v;
    },
    () => {
      if (tables.get(t.name) === h) tables.delete(t.name);
    },
  );
  tables.set(t.name, h);
  return h;
}

async function variableFor(t: WorkerTable): Promise<AnyVariable> {
  return heldFor(t).ready;
}

async function sizeOf(v: AnyVariable): Promise<number> {
  return isPooled(v) ? v.size() : v.size();
}

/** The keys each held (ready) table holds now. */
async function allSizes(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, h] of tables) if (h.value) out[name] = await sizeOf(h.value);
  return out;
}

/**
 * Tables the page emptied on purpose (a confirmed discard: deleted, replaced by a preset),
 * recreated empty even when their creation fields did not change. Both sync and trainConfigure
 * pass the page's recent requests; each id is applied once, by whichever call arrives first.
 */
export interface FreshRequest {
  id: number;
  names: string[];
}
let freshApplied = 0;

function applyFresh(requests: FreshRequest[]): void {
  for (const f of requests) {
    if (f.id <= freshApplied) continue;
    freshApplied = f.id;
    for (const name of f.names) {
      const held = tables.get(name);
      if (!held) continue;
      disposeHeld(held);
      tables.delete(name);
      // The model read these tables: it is rebuilt (from the empty tables) on its next configure.
      trainerKey = '';
    }
  }
}

function nest(flat: unknown[], shape: number[]): unknown {
  if (shape.length === 0) return flat[0];
  let k = 0;
  const rec = (d: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[k++] : rec(d + 1));
    return out;
  };
  return rec(0);
}

function rowSplitsOf(b: WorkerBatch): number[] {
  if (b.rowSplits) return b.rowSplits;
  const rows = b.shape[0];
  const n = b.shape.length > 1 ? b.ids.length / rows : 1;
  return Array.from({ length: rows + 1 }, (_, r) => r * n);
}

/** What trainSave returns and the page keeps in IndexedDB (version 1 had no pooled tables). */
export interface SavedTraining {
  v: 2;
  /** The model configuration it belongs to: restored only into the same model. */
  key: string;
  step: number;
  globalStep: number;
  /** The in-process tables in the checkpoint, in its order (every in-process table held). */
  tables: string[];
  /** de.checkpoint.save of those tables, then the model's optimizers. */
  checkpoint: Uint8Array;
  /** Every table held on the worker pool: rows, restrict status and the model's optimizer slots. */
  pooled: SavedPooledTable[];
  dense: Float32Array[];
  denseSlots: Float32Array[][];
}

let trainer: Trainer | null = null;
let trainerKey = '';

function requireTrainer(): Trainer {
  if (!trainer) throw new Error('Training is not configured yet.');
  return trainer;
}

function histograms(t: Trainer): Promise<NormHistogram[]> {
  // Shared bins: a bar covers the same norm range for every table.
  return t.normHistograms([...new Set(t.features.map((f) => f.table))]);
}

export interface ShardInternals {
  shard: number;
  capacity: number;
  /** Control bytes: 0x80 empty, 0xFE tombstone, else the key's 7-bit tag. At most INTERNALS_SLOTS. */
  ctrl: Uint8Array;
  size: number;
  tombstones: number;
  loadFactor: number;
  probeLengthHistogram: number[];
}

export const INTERNALS_SLOTS = 4096;

export interface TinyState {
  capacity: number;
  ctrl: Uint8Array;
  /** slot -> key, or null where the slot holds none. */
  keys: (number | null)[];
  size: number;
  tombstones: number;
  loadFactor: number;
  probeLengthHistogram: number[];
  /** What the last action did, in words. */
  event: string;
  /** The slot the last insert landed in, or -1. */
  lastSlot: number;
  nextKey: number;
}

let tiny: { table: de.HashTable; keys: number[]; n: number; seed: number } | null = null;

function tinyKey(seed: number, n: number): number {
  // Distinct three-digit keys (389 is coprime to 1000); the table's hash spreads them over groups.
  return (n * 389 + 17 * seed) % 1000;
}

function tinyState(event: string, lastSlot: number): TinyState {
  const t = tiny!;
  const ins = t.table.inspect();
  const stats = t.table.stats();
  const byRow = new Map<number, number>();
  if (t.keys.length > 0) {
    const found = t.table.find(Int32Array.from(t.keys));
    t.keys.forEach((k, i) => byRow.set(found.rows[i], k));
  }
  return {
    capacity: ins.capacity,
    ctrl: ins.ctrl,
    keys: Array.from(ins.rows, (r) => (r >= 0 ? (byRow.get(r) ?? null) : null)),
    size: stats.size,
    tombstones: stats.tombstones,
    loadFactor: stats.loadFactor,
    probeLengthHistogram: stats.probeLengthHistogram,
    event,
    lastSlot,
    nextKey: tinyKey(t.seed, t.n),
  };
}

function resetTiny(seed: number): TinyState {
  tiny?.table.dispose();
  tiny = { table: new de.HashTable({ keyDtype: 'int32', dim: 1, initCapacity: 28 }), keys: [], n: 0, seed };
  return tinyState('An empty table: every slot is empty.', -1);
}

const gatherChoices = new Map<WorkerTable['gather'], Promise<GatherInfo>>();

/** How long 'auto' may calibrate before the table reads in WASM (and says so). */
export const AUTO_GATHER_TIMEOUT_MS = 20_000;

/**
 * The gather path for a table's setting, decided once per worker by de.gpu.chooseGather ('auto'
 * calibrates WASM against WebGL here; 'webgl' needs the tfjs WebGL backend in this worker).
 */
function gatherChoice(asked: WorkerTable['gather']): Promise<GatherInfo> {
  let c = gatherChoices.get(asked);
  if (!c) {
    const chosen = de.gpu.chooseGather(asked).then(
      (r): GatherInfo => ({
        asked,
        used: r.gather,
        reason: r.reason,
        fellBack: asked === 'webgl' && r.gather !== 'webgl',
      }),
      (e: unknown): GatherInfo => ({
        asked,
        used: 'wasm',
        reason: e instanceof Error ? e.message : String(e),
        fellBack: true,
      }),
    );
    const late = new Promise<GatherInfo>((resolve) =>
      setTimeout(
        () =>
          resolve({
            asked,
            used: 'wasm',
            reason: `the calibration (de.gpu.chooseGather('${asked}')) had not finished after ${AUTO_GATHER_TIMEOUT_MS / 1000} s in this browser, so lookups gather in WASM`,
            fellBack: true,
          }),
        AUTO_GATHER_TIMEOUT_MS,
      ),
    );
    c = Promise.race([chosen, late]);
    gatherChoices.set(asked, c);
  }
  return c;
}

const core = {
  async init(): Promise<de.BackendInfo> {
    await de.ready();
    await tf.ready();
    return de.backendInfo();
  },

  /** Drops tables no longer in the workspace; returns the size of each remaining one. */
  async sync(specs: WorkerTable[], fresh: FreshRequest[] = []): Promise<Record<string, number>> {
    applyFresh(fresh);
    const names = new Set(specs.map((s) => s.name));
    for (const [name, held] of tables) {
      if (!names.has(name)) {
        disposeHeld(held);
        tables.delete(name);
      }
    }
    const sizes: Record<string, number> = {};
    for (const s of specs) sizes[s.name] = await sizeOf(await variableFor(s));
    return sizes;
  },

  gatherChoice,

  async lookup(t: WorkerTable, f: WorkerFeature, b: WorkerBatch): Promise<LookupReply> {
    const t0 = performance.now();
    const any = await variableFor(t);
    if (isPooled(any)) return pooledLookup(t, f, b, any, t0);
    const v = any;
    const maxNorm = t.maxNorm > 0 ? t.maxNorm : undefined;
    let gather = await gatherChoice(t.gather);
    // The GPU mirror serves dense reads of stored rows; a lookup that inserts, or a sparse one,
    // runs the WASM path.
    // The GPU mirror's lookupSparse is embeddingLookupSparse: it equals the safe lookup the
    // inspector runs when no row is empty and no weight is pruned (weight <= 0 with mean / sqrtn).
    const splitsAll = rowSplitsOf(b);
    const emptyRow = splitsAll.some((x, r) => r > 0 && x === splitsAll[r - 1]);
    const pruned = b.weights !== null && f.combiner !== 'sum' && b.weights.some((x) => x <= 0);
    if (gather.used === 'webgl' && (t.insertOnLookup || (f.op === 'sparse' && (emptyRow || pruned)))) {
      gather = {
        ...gather,
        used: 'wasm',
        fellBack: true,
        reason: t.insertOnLookup
          ? 'this table inserts on lookup, which the read-only GPU mirror cannot do, so this lookup gathers in WASM'
          : `this batch has ${emptyRow ? 'an empty row' : 'a weight <= 0, which the safe lookup prunes'}, which only safeEmbeddingLookupSparse handles (in WASM), so this lookup gathers in WASM`,
      };
    }
    const gpu = gather.used === 'webgl' ? new de.gpu.GpuGather(v) : null;
    // Rows of ids ([...ids.shape, dim], clipped to maxNorm) through the table's gather path.
    const gatherRows = (ids: de.NestedIds): tf.Tensor =>
      gpu ? gpu.lookup(ids, { maxNorm }) : (de.embeddingLookup(v, ids, { maxNorm }) as tf.Tensor);
    const rowsCall = gpu ? `new de.gpu.GpuGather(${t.name}).lookup` : 'de.embeddingLookup';
    const dense = nest(b.ids, b.shape) as de.NestedIds;
    // Which keys are held before the lookup (a lookup with insertOnLookup inserts the others).
    const { keys } = v.keysOf(b.ids as de.NestedIds, 'ids');
    const before = peek(v, keys);
    let engineCall: string;
    let out: tf.Tensor;
    try {
      out = tf.tidy(() => {
        if (f.op === 'embedding') {
          engineCall = gpu
            ? `${rowsCall}(ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''})`
            : `de.embeddingLookup(${t.name}, ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''})`;
          return gatherRows(dense);
        }
        if (f.op === 'squashed') {
          const e = gatherRows(dense);
          const axes = b.shape.length === 1 ? [0] : Array.from({ length: b.shape.length - 1 }, (_, i) => i + 1);
          engineCall = `${gpu ? rowsCall : `de.embeddingLookup(${t.name}, `}ids) then tf.${f.combiner === 'sum' ? 'sum' : 'mean'} over axes [${axes.join(', ')}]${f.combiner === 'sqrtn' ? ' × √n' : ''}`;
          if (f.combiner === 'sum') return tf.sum(e, axes);
          const n = axes.reduce((a, ax) => a * b.shape[ax], 1);
          if (f.combiner === 'mean') return tf.mean(e, axes);
          return tf.div(tf.sum(e, axes), Math.sqrt(n));
        }
        const splits = rowSplitsOf(b);
        const rows = splits.length - 1;
        let longest = 0;
        for (let r = 0; r < rows; r++) longest = Math.max(longest, splits[r + 1] - splits[r]);
        if (f.op === 'sparse') {
          const indices: number[][] = [];
          for (let r = 0; r < rows; r++) for (let j = 0; j < splits[r + 1] - splits[r]; j++) indices.push([r, j]);
          const denseShape = [rows, Math.max(1, longest)];
          const sp = new de.SparseTensor({ indices, values: b.ids as number[], denseShape });
          const w = b.weights ? new de.SparseTensor({ indices, values: b.weights, denseShape }) : null;
          if (gpu) {
            engineCall = `new de.gpu.GpuGather(${t.name}).lookupSparse(spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} })`;
            return gpu.lookupSparse(sp, w, { combiner: f.combiner === 'none' ? 'mean' : f.combiner, maxNorm });
          }
          engineCall = `de.safeEmbeddingLookupSparse(${t.name}, spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} })`;
          return de.safeEmbeddingLookupSparse(v, sp, w, {
            combiner: f.combiner === 'none' ? 'mean' : f.combiner,
            maxNorm,
          }) as tf.Tensor;
        }
        // sequence: every row's vectors, padded with zero vectors to maxSequenceLength (TensorX Lookup).
        const seq = f.maxSequenceLength;
        const flat = gatherRows(b.ids as de.NestedIds) as tf.Tensor2D;
        const gather: number[] = [];
        const mask: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < seq; j++) {
            const k = splits[r] + j;
            const inRow = k < splits[r + 1];
            gather.push(inRow ? k : 0);
            mask.push(inRow ? 1 : 0);
          }
        }
        engineCall = `${gpu ? rowsCall : `de.embeddingLookup(${t.name}, `}ids) padded with zero vectors to [${rows}, ${seq}, ${t.dim}] (TensorX Lookup, seqSize ${seq})`;
        const g = tf.gather(flat, tf.tensor1d(gather, 'int32'));
        return tf.mul(g, tf.tensor2d(mask, [mask.length, 1])).reshape([rows, seq, t.dim]);
      });
    } finally {
      gpu?.dispose();
    }
    const output = out.dataSync() as Float32Array;
    const shape = out.shape.slice();
    out.dispose();

    // Per id: held before or not, where it lives now, and the vector the lookup read.
    const vectors = before.values;
    const shards = v.shardOf(keys);
    const slotOfRow = new Map<string, number>();
    const infos: IdInfo[] = [];
    for (let i = 0; i < b.ids.length; i++) {
      const s = shards[i];
      const table = v.shards[s];
      const one = (
        keys instanceof BigInt64Array
          ? BigInt64Array.of(keys[i])
          : keys instanceof Int32Array
            ? Int32Array.of(keys[i])
            : [keys[i]]
      ) as de.Keys;
      const found = table.find(one);
      const row = found.exists[0] ? found.rows[0] : -1;
      let slot = -1;
      if (row >= 0) {
        const cacheKey = `${s}:${row}`;
        if (!slotOfRow.has(cacheKey)) {
          const ins = table.inspect();
          for (let k = 0; k < ins.rows.length; k++) if (ins.rows[k] >= 0) slotOfRow.set(`${s}:${ins.rows[k]}`, k);
        }
        slot = slotOfRow.get(cacheKey) ?? -1;
      }
      const vector = vectors.slice(i * t.dim, (i + 1) * t.dim);
      let sq = 0;
      for (const x of vector) sq += x * x;
      const norm = Math.sqrt(sq);
      infos.push({
        id: typeof b.ids[i] === 'string' ? JSON.stringify(b.ids[i]) : String(b.ids[i]),
        status: before.exists[i] ? 'hit' : row >= 0 ? 'inserted' : 'miss',
        shard: s,
        worker: -1,
        slot,
        row,
        vector,
        norm,
        clipped: maxNorm !== undefined && norm > maxNorm,
      });
    }
    return {
      feature: f.name,
      table: t.name,
      engineCall: engineCall!,
      shape,
      output,
      ids: infos,
      tableSize: v.size(),
      insertOnLookup: v.insertOnLookup,
      gather,
      poolWorkers: null,
      ms: performance.now() - t0,
    };
  },
};

/**
 * The inspector's lookup of a table on the worker pool: the same engine calls, awaited (the
 * rows are fetched from the workers), and per id its shard and the worker holding it. Which ids
 * are held is read first (a pooled lookup never inserts).
 */
async function pooledLookup(
  t: WorkerTable,
  f: WorkerFeature,
  b: WorkerBatch,
  pv: de.pool.PooledVariable,
  t0: number,
): Promise<LookupReply> {
  const router = tables.get(t.name)!.router!;
  const maxNorm = t.maxNorm > 0 ? t.maxNorm : undefined;
  const gather: GatherInfo = {
    asked: t.gather,
    used: 'wasm',
    reason: `this table is on the worker pool: its rows are gathered in WASM on the ${poolWorkers} pool workers and assembled here`,
    fellBack: t.gather !== 'wasm',
  };
  const flatIds = b.ids as de.NestedIds;
  const before = await pv.lookup(flatIds, { returnExists: true });
  const vectors = (await before.values.data()) as Float32Array;
  before.values.dispose();
  const splits = rowSplitsOf(b);
  const rows = splits.length - 1;
  let engineCall: string;
  let out: tf.Tensor;
  if (f.op === 'sparse') {
    let longest = 0;
    const indices: number[][] = [];
    for (let r = 0; r < rows; r++) {
      longest = Math.max(longest, splits[r + 1] - splits[r]);
      for (let j = 0; j < splits[r + 1] - splits[r]; j++) indices.push([r, j]);
    }
    const denseShape = [rows, Math.max(1, longest)];
    const sp = new de.SparseTensor({ indices, values: b.ids as number[], denseShape });
    const w = b.weights ? new de.SparseTensor({ indices, values: b.weights, denseShape }) : null;
    engineCall = `await ${t.name}.safeLookupSparse(spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} }) (pooled)`;
    out = await pv.safeLookupSparse(sp, w, { combiner: f.combiner === 'none' ? 'mean' : f.combiner, maxNorm });
  } else if (f.op === 'sequence') {
    const seq = f.maxSequenceLength;
    const flat = await pv.lookup(flatIds, { maxNorm });
    const idx: number[] = [];
    const mask: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < seq; j++) {
        const k = splits[r] + j;
        const inRow = k < splits[r + 1];
        idx.push(inRow ? k : 0);
        mask.push(inRow ? 1 : 0);
      }
    }
    engineCall = `await ${t.name}.lookup(ids) (pooled) padded with zero vectors to [${rows}, ${seq}, ${t.dim}] (TensorX Lookup, seqSize ${seq})`;
    out = tf.tidy(() =>
      tf
        .mul(tf.gather(flat, tf.tensor1d(idx, 'int32')), tf.tensor2d(mask, [mask.length, 1]))
        .reshape([rows, seq, t.dim]),
    );
    flat.dispose();
  } else {
    const e = await pv.lookup(nest(b.ids, b.shape) as de.NestedIds, { maxNorm });
    const call = `await ${t.name}.lookup(ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''}) (pooled)`;
    if (f.op === 'embedding') {
      engineCall = call;
      out = e;
    } else {
      const axes = b.shape.length === 1 ? [0] : Array.from({ length: b.shape.length - 1 }, (_, i) => i + 1);
      engineCall = `${call} then tf.${f.combiner === 'sum' ? 'sum' : 'mean'} over axes [${axes.join(', ')}]${f.combiner === 'sqrtn' ? ' × √n' : ''}`;
      out = tf.tidy(() => {
        if (f.combiner === 'sum') return tf.sum(e, axes);
        if (f.combiner === 'mean') return tf.mean(e, axes);
        const n = axes.reduce((a, ax) => a * b.shape[ax], 1);
        return tf.div(tf.sum(e, axes), Math.sqrt(n));
      });
      e.dispose();
    }
  }
  const output = (await out.data()) as Float32Array;
  const shape = out.shape.slice();
  out.dispose();
  const { keys } = router.keysOf(flatIds, 'ids');
  const shards = router.shardOf(keys);
  const infos: IdInfo[] = [];
  for (let i = 0; i < b.ids.length; i++) {
    const vector = vectors.slice(i * t.dim, (i + 1) * t.dim);
    let sq = 0;
    for (const x of vector) sq += x * x;
    const norm = Math.sqrt(sq);
    infos.push({
      id: typeof b.ids[i] === 'string' ? JSON.stringify(b.ids[i]) : String(b.ids[i]),
      status: before.exists[i] ? 'hit' : 'miss',
      shard: shards[i],
      worker: shards[i] % poolWorkers,
      slot: -1,
      row: -1,
      vector,
      norm,
      clipped: maxNorm !== undefined && norm > maxNorm,
    });
  }
  return {
    feature: f.name,
    table: t.name,
    engineCall: engineCall,
    shape,
    output,
    ids: infos,
    tableSize: await pv.size(),
    insertOnLookup: false,
    gather,
    poolWorkers,
    ms: performance.now() - t0,
  };
}

const api = {
  ...core,

  /** (Re)builds the model when its configuration changed; returns whether it did and the step. */
  async trainConfigure(
    specs: WorkerTable[],
    features: TrainFeature[],
    config: Omit<TrainConfig, 'tables' | 'features'>,
    fresh: FreshRequest[] = [],
  ): Promise<{
    rebuilt: boolean;
    step: number;
    histograms: NormHistogram[];
    summary: string;
    sizes: Record<string, number>;
  }> {
    applyFresh(fresh);
    // The gather path only changes how the inspector reads: it does not start training over.
    const key = JSON.stringify([specs.map((s) => ({ ...s, gather: undefined })), features, config]);
    if (trainer && key === trainerKey) {
      return {
        rebuilt: false,
        step: trainer.step,
        histograms: await histograms(trainer),
        summary: trainer.summary,
        sizes: await allSizes(),
      };
    }
    // A model that cannot be built throws before anything changes (the old one keeps training).
    for (const s of specs) await variableFor(s);
    const next = new Trainer({ tables: specs, features, ...config }, current);
    trainer?.dispose();
    trainer = next;
    trainerKey = key;
    // The tables keep the rows they hold (a table whose creation fields changed was recreated
    // empty above): the new model starts at step 0 from them.
    await trainer.start();
    return {
      rebuilt: true,
      step: 0,
      histograms: await histograms(trainer),
      summary: trainer.summary,
      sizes: await allSizes(),
    };
  },

  /** Runs `n` steps; returns each step's metrics and the embedding-norm histograms after them. */
  async trainSteps(n: number): Promise<{
    metrics: StepMetrics[];
    histograms: NormHistogram[];
    sizes: Record<string, number>;
    ms: number;
  }> {
    const t = requireTrainer();
    const t0 = performance.now();
    const metrics: StepMetrics[] = [];
    for (let i = 0; i < n; i++) metrics.push(await t.runStep());
    return { metrics, histograms: await histograms(t), sizes: await allSizes(), ms: performance.now() - t0 };
  },

  async trainStepBack(): Promise<{ step: number; histograms: NormHistogram[]; sizes: Record<string, number> }> {
    const t = requireTrainer();
    const step = await t.stepBack();
    return { step, histograms: await histograms(t), sizes: await allSizes() };
  },

  async trainReset(): Promise<{ histograms: NormHistogram[]; sizes: Record<string, number> }> {
    const t = requireTrainer();
    await t.reset();
    return { histograms: await histograms(t), sizes: await allSizes() };
  },

  /**
   * The trained state to keep across a reload: every in-process table (de.checkpoint.save, with
   * the model's optimizers), every table on the worker pool (its rows, restrict status and the
   * optimizer slots kept on the workers), the head and the step. Null when there is no model.
   */
  async trainSave(): Promise<SavedTraining | null> {
    if (!trainer) return null;
    const held = [...tables.entries()]
      .filter(([, h]) => h.value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, h]) => [name, h.value as AnyVariable] as const);
    const local = held.filter(([, v]) => !isPooled(v));
    const pooled: SavedPooledTable[] = [];
    for (const [, v] of held) if (isPooled(v)) pooled.push(await savePooled(v, trainer.optimizers));
    const head = trainer.headState();
    return {
      v: 2,
      key: trainerKey,
      step: trainer.step,
      globalStep: de.train.globalStep(),
      tables: local.map(([name]) => name),
      checkpoint: await de.checkpoint.save([...local.map(([, v]) => v as de.Variable), ...trainer.optimizers]),
      pooled,
      dense: head.dense,
      denseSlots: head.denseSlots,
    };
  },

  /**
   * Builds the model for these settings and, when a saved state belongs to exactly this model and
   * these tables, restores it (in-process tables and optimizers, pooled tables with their status
   * and slots, head, step). A state that does not fit changes nothing and says why.
   */
  async trainRestore(
    saved: SavedTraining,
    specs: WorkerTable[],
    features: TrainFeature[],
    config: Omit<TrainConfig, 'tables' | 'features'>,
    allSpecs: WorkerTable[],
  ): Promise<{
    restored: boolean;
    reason: string;
    step: number;
    histograms: NormHistogram[];
    sizes: Record<string, number>;
  }> {
    await core.sync(allSpecs);
    const built = await api.trainConfigure(specs, features, config);
    const t = requireTrainer();
    const no = async (reason: string) => ({
      restored: false,
      reason,
      step: t.step,
      histograms: await histograms(t),
      sizes: await allSizes(),
    });
    if (saved.key !== trainerKey) return no(OTHER_SETTINGS);
    if (built.step !== 0) return no('the model is not at a fresh start');
    const vars: de.Variable[] = [];
    for (const name of saved.tables) {
      const v = tables.get(name)?.value;
      if (!v || isPooled(v)) return no(`table ${name} is not an in-process table here`);
      vars.push(v);
    }
    const pooled: [SavedPooledTable, de.pool.PooledVariable][] = [];
    for (const p of saved.pooled) {
      const v = tables.get(p.name)?.value;
      if (!v || !isPooled(v)) return no(`table ${p.name} is not on the worker pool here`);
      const problem = restoreProblem(p, v, t.optimizers);
      if (problem) return no(problem);
      pooled.push([p, v]);
    }
    for (const name of t.pooledTables) {
      if (!saved.pooled.some((p) => p.name === name)) return no(`table ${name} on the worker pool was not saved`);
    }
    // de.checkpoint.restore checks the whole checkpoint before it changes anything.
    await de.checkpoint.restore(saved.checkpoint, [...vars, ...t.optimizers]);
    try {
      for (const [p, v] of pooled) await restorePooled(p, v, t.optimizers);
      await t.resume(saved.step, saved.globalStep, saved.dense, saved.denseSlots);
    } catch (e) {
      // Part of it was written: start the model over from empty tables rather than a mix.
      await t.reset();
      return no(e instanceof Error ? e.message : String(e));
    }
    return { restored: true, reason: '', step: t.step, histograms: await histograms(t), sizes: await allSizes() };
  },

  /** Control bytes and statistics of each shard of a table (the first INTERNALS_SLOTS slots). */
  internals(name: string): ShardInternals[] | null {
    const v = tables.get(name)?.value;
    if (!v || isPooled(v)) return null;
    return v.shards.map((table, shard) => {
      const ins = table.inspect();
      const st = table.stats();
      return {
        shard,
        capacity: ins.capacity,
        ctrl: ins.ctrl.slice(0, INTERNALS_SLOTS),
        size: st.size,
        tombstones: st.tombstones,
        loadFactor: st.loadFactor,
        probeLengthHistogram: st.probeLengthHistogram,
      };
    });
  },

  tinyReset(seed: number): TinyState {
    return resetTiny(seed);
  },

  tinyInsert(): TinyState {
    if (!tiny) resetTiny(1);
    const t = tiny!;
    const key = tinyKey(t.seed, t.n++);
    const before = t.table.stats().capacity;
    t.table.findOrInsert(Int32Array.of(key));
    t.keys.push(key);
    const after = t.table.stats().capacity;
    const row = t.table.find(Int32Array.of(key)).rows[0];
    const slot = t.table.inspect().rows.indexOf(row);
    const event =
      after !== before
        ? `Inserted ${key}: the table was too full, so it rehashed from ${before} to ${after} slots and re-placed every key (tombstones dropped).`
        : `Inserted ${key} into slot ${slot} (group ${Math.floor(slot / 16)}).`;
    return tinyState(event, slot);
  },

  tinyRemove(): TinyState {
    if (!tiny || tiny.keys.length === 0) return resetTiny(tiny?.seed ?? 1);
    const t = tiny;
    const key = t.keys.shift()!;
    const before = t.table.stats().tombstones;
    t.table.remove(Int32Array.of(key));
    const event =
      t.table.stats().tombstones > before
        ? `Removed ${key}: its slot becomes a tombstone, so probes for other keys still pass it.`
        : `Removed ${key}: its slot is empty again (no probe can have passed a group that never filled, so no tombstone is needed).`;
    return tinyState(event, -1);
  },

  /** The checkpoint, the .npy files and the TFRA script for the trained tables. */
  async exportFiles(): Promise<{ checkpoint: Uint8Array; npy: Record<string, Uint8Array>; python: string }> {
    const t = requireTrainer();
    return t.exportFiles();
  },
};

export type PlaygroundWorker = typeof api;
expose(api);
