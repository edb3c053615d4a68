// The in-browser benchmark cases (the Performance page and `npm run bench:browser` run these
// same functions, in a Web Worker). The engine, tfjs and the pool's spawner come in through the
// context, so a Node script can run them too (with dist/lib and de.pool.nodeSpawner()).
import type * as tfjs from '@tensorflow/tfjs';
import type * as Engine from '../engine/index.js';
import {
  JsTable,
  keysOfRanks,
  type PerfEvent,
  type PerfRow,
  type PerfSize,
  type SectionId,
  SECTIONS,
  timeIt,
  timeItAsync,
  timePair,
  timePairAsync,
  uniformRanks,
  zipfRanks,
} from './lib.js';

export interface PerfContext {
  de: typeof Engine;
  tf: typeof tfjs;
  size: PerfSize;
  emit(e: PerfEvent): void;
  /**
   * Checks, apart from this thread and with a time limit, whether tfjs's WebGL backend works;
   * resolves null when it does, else why not. Without it the check runs here, unguarded.
   */
  probeWebgl?: (size: { keys: number; dim: number; batch: number }) => Promise<string | null>;
  /** Measure WebGL even on a software renderer (SwiftShader, llvmpipe): slow, and says nothing about a GPU. */
  softwareWebgl?: boolean;
  /** Starts one pool worker (browser: de.pool.browserSpawner(); Node: await de.pool.nodeSpawner()). */
  spawn?: Engine.pool.Spawner;
}

/** The sizes of each case, quick and full. */
export const SIZES = {
  quick: {
    hashSizes: [10_000, 100_000],
    hashBatch: 16_384,
    gatherKeys: 100_000,
    gatherBatch: 16_384,
    gpuKeys: 65_536,
    poolKeys: 200_000,
    poolBatch: 16_384,
    trainVocab: 100_000,
    trainBatch: 512,
    minMs: 100,
  },
  full: {
    hashSizes: [10_000, 100_000, 1_000_000],
    hashBatch: 65_536,
    gatherKeys: 1_000_000,
    gatherBatch: 65_536,
    gpuKeys: 262_144,
    poolKeys: 1_000_000,
    poolBatch: 16_384,
    trainVocab: 1_000_000,
    trainBatch: 4096,
    minMs: 300,
  },
} as const;

const GPU_DIMS = [16, 64];
const GPU_BATCHES = [4096, 65_536];
const POOL_WORKERS = [1, 2, 4];
/** Each worker count is measured with both transports (SharedArrayBuffer only when cross-origin isolated). */
const POOL_TRANSPORTS = [
  { shared: true, how: 'SharedArrayBuffer', short: 'SAB' },
  { shared: false, how: 'transferables', short: 'transferables' },
] as const;
const HASH_DIM = 8;
const GATHER_DIM = 64;
const POOL_DIM = 16;

/** How many progress steps a section takes at a size (for the progress bar). */
export function caseCount(section: SectionId, size: PerfSize): number {
  const s = SIZES[size];
  switch (section) {
    case 'hashtable':
      return s.hashSizes.length * 3;
    case 'gather':
      return 3;
    case 'gpu':
      return 1 + GPU_DIMS.length * GPU_BATCHES.length;
    case 'workers':
      return 1 + POOL_WORKERS.length * POOL_TRANSPORTS.length;
    case 'train':
      return 3;
  }
}

class Stepper {
  done = 0;
  constructor(
    private readonly ctx: PerfContext,
    readonly total: number,
  ) {}
  /** Reports the case about to run, then yields so the report (and a cancel) can get through. */
  async next(label: string): Promise<void> {
    this.ctx.emit({ kind: 'progress', done: this.done, total: this.total, label });
    this.done++;
    await new Promise((r) => setTimeout(r, 0));
  }
}

function row(
  section: SectionId,
  name: string,
  value: number,
  unit: string,
  baseline: number | undefined,
  baselineName: string | undefined,
  params: PerfRow['params'],
  extra: { note?: string; lowerIsBetter?: boolean } = {},
): PerfRow {
  let ratio: number | undefined;
  if (baseline !== undefined && baseline > 0) ratio = extra.lowerIsBetter ? baseline / value : value / baseline;
  return { section, name, value, unit, baseline, baselineName, ratio, note: extra.note, params };
}

function values(n: number, dim: number): Float32Array {
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i++) v[i] = (i % 97) / 97;
  return v;
}

/** Fills an engine table and (optionally) the plain-JS one with ranks 0..n-1; times each fill. */
function fill(ctx: PerfContext, n: number, dim: number, batch: number, withJs: boolean) {
  const wasm = new ctx.de.HashTable({ keyDtype: 'int32', dim });
  const js = withJs ? new JsTable(dim) : undefined;
  const vals = values(batch, dim);
  let wasmSec = 0;
  let jsSec = 0;
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const keys = keysOfRanks(Int32Array.from({ length: count }, (_, i) => start + i));
    const v = vals.subarray(0, count * dim);
    let t0 = performance.now();
    wasm.upsert(keys, v);
    wasmSec += (performance.now() - t0) / 1000;
    if (js) {
      t0 = performance.now();
      js.upsert(keys, v);
      jsSec += (performance.now() - t0) / 1000;
    }
  }
  return { wasm, js, wasmSec, jsSec };
}

const JS_BASELINE = 'plain JS (Map + Float32Array arena)';

async function hashtable(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.hashBatch;
  for (const n of S.hashSizes) {
    await st.next(`hash table: insert ${n.toLocaleString('en-US')} keys`);
    // small tables fill in a blink: the median of several fills
    const fills: ReturnType<typeof fill>[] = [];
    for (let rep = 0; rep < (n <= 100_000 ? 5 : 1); rep++) fills.push(fill(ctx, n, HASH_DIM, batch, true));
    const order = (k: 'wasmSec' | 'jsSec') => [...fills].sort((a, b) => a[k] - b[k])[fills.length >> 1][k];
    const wasmSec = order('wasmSec');
    const jsSec = order('jsSec');
    const { wasm, js } = fills[fills.length - 1];
    for (const f of fills) if (f.wasm !== wasm) f.wasm.dispose();
    if (!js) throw new Error('the plain-JS table was not filled');
    ctx.emit({
      kind: 'row',
      row: row('hashtable', `insert ${n} new keys, dim ${HASH_DIM}`, n / wasmSec, 'keys/s', n / jsSec, JS_BASELINE, {
        op: 'insert',
        dist: 'new keys',
        keys: n,
      }),
    });
    for (const dist of ['uniform', 'zipf'] as const) {
      await st.next(`hash table: find and upsert, ${dist}, ${n.toLocaleString('en-US')} keys`);
      const ranks = dist === 'uniform' ? uniformRanks(n, batch, 7) : zipfRanks(n, batch, 1.1, 7);
      const keys = keysOfRanks(ranks);
      const jr = new Int32Array(batch);
      const je = new Uint8Array(batch);
      const [tw, tj] = timePair(
        () => wasm.find(keys),
        () => js.find(keys, jr, je),
        { minMs: S.minMs },
      );
      ctx.emit({
        kind: 'row',
        row: row('hashtable', `find ${dist}, ${n} keys`, batch / tw, 'keys/s', batch / tj, JS_BASELINE, {
          op: 'find',
          dist,
          keys: n,
        }),
      });
      const v = values(batch, HASH_DIM);
      const [uw, uj] = timePair(
        () => wasm.upsert(keys, v),
        () => js.upsert(keys, v),
        { minMs: S.minMs },
      );
      ctx.emit({
        kind: 'row',
        row: row(
          'hashtable',
          `upsert ${dist} (existing keys), ${n} keys`,
          batch / uw,
          'keys/s',
          batch / uj,
          JS_BASELINE,
          {
            op: 'upsert',
            dist,
            keys: n,
          },
        ),
      });
    }
    wasm.dispose();
  }
}

async function gather(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.gatherBatch;
  const cases = [
    { n: 4096, dist: 'uniform' as const, what: 'cache-resident rows' },
    { n: S.gatherKeys, dist: 'uniform' as const, what: 'rows in main memory' },
    { n: S.gatherKeys, dist: 'zipf' as const, what: 'rows in main memory' },
  ];
  let table: { n: number; t: Engine.HashTable } | null = null;
  for (const c of cases) {
    await st.next(`gather: ${batch} ids, dim ${GATHER_DIM}, ${c.n.toLocaleString('en-US')} keys, ${c.dist}`);
    if (!table || table.n !== c.n) {
      table?.t.dispose();
      table = { n: c.n, t: fill(ctx, c.n, GATHER_DIM, 65_536, false).wasm };
    }
    const t = table.t;
    const heap = t.heap;
    const bytes = batch * GATHER_DIM * 4;
    const out = heap.alloc(bytes, 'bench output');
    const src = heap.alloc(bytes, 'bench copy source');
    try {
      const ranks = c.dist === 'uniform' ? uniformRanks(c.n, batch, 11) : zipfRanks(c.n, batch, 1.1, 11);
      const keys = keysOfRanks(ranks);
      const view = () => heap.f32.subarray(out >> 2, (out >> 2) + batch * GATHER_DIM);
      const [tg, tc] = timePair(
        () => t.gather(keys, view()),
        () => heap.exports.copyBytes(out, src, bytes),
        { minMs: S.minMs },
      );
      ctx.emit({
        kind: 'row',
        row: row(
          'gather',
          `lookup + gather, ${c.dist}, dim ${GATHER_DIM}, ${c.n} keys (${c.what})`,
          bytes / tg / 1e9,
          'GB/s',
          bytes / tc / 1e9,
          'memory.copy of the same bytes',
          { keys: c.n, dist: c.dist, label: `${c.n.toLocaleString('en-US')} keys, ${c.dist}` },
          { note: `${batch} ids into WASM memory; includes the hash lookups` },
        ),
      });
    } finally {
      heap.free(out);
      heap.free(src);
    }
  }
  table?.t.dispose();
}

/** WebGL renderers that are CPU emulations (Chromium's SwiftShader, Mesa's llvmpipe, Windows' WARP). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

/** The unguarded WebGL check (Node, or a host without the probe worker). */
async function quickWebglCheck(tf: typeof tfjs): Promise<string | null> {
  try {
    if (!(await tf.setBackend('webgl'))) return 'WebGL missing: the tfjs WebGL backend could not start here';
    await tf.ready();
  } catch (e) {
    return `WebGL missing: the tfjs WebGL backend failed to start (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    if (tf.getBackend() !== 'webgl') await tf.setBackend('cpu');
  }
  return tf.getBackend() === 'webgl' ? null : `WebGL missing: the tfjs backend is '${tf.getBackend()}'`;
}

async function gpu(ctx: PerfContext, st: Stepper): Promise<void> {
  const { de, tf } = ctx;
  const S = SIZES[ctx.size];
  await st.next('WebGL: starting the tfjs WebGL backend and calibrating');
  const n = S.gpuKeys;
  const renderer = machineFacts(de).webglRenderer;
  let missing: string | null;
  const software = SOFTWARE_RENDERER.test(renderer);
  if (software && !ctx.softwareWebgl) {
    // A CPU emulation of a GPU: its figures would say nothing about WebGL on a GPU, and the
    // mirror's upload shaders take minutes on it while keeping the GPU process (and with it
    // every WebGL call of the page) busy. So it is not used.
    missing = `WebGL unusable: the WebGL renderer is a software one (${renderer}), not a GPU, so the WebGL path is not measured`;
  } else if (ctx.probeWebgl) {
    missing = await ctx.probeWebgl({ keys: n, dim: Math.max(...GPU_DIMS), batch: GPU_BATCHES[0] });
  } else {
    missing = await quickWebglCheck(tf);
  }
  if (missing === null) {
    await tf.setBackend('webgl');
    await tf.ready();
    await de.gpu.chooseGather('auto');
  } else {
    // WebGL cannot be used: lookups gather in WASM, and the engine says why in backendInfo()
    await tf.setBackend('cpu');
    await de.gpu.chooseGather('auto');
    missing = `${missing}. de.backendInfo().gatherReason: ${de.backendInfo().gatherReason}`;
  }
  const info = de.backendInfo();
  ctx.emit({
    kind: 'note',
    section: 'gpu',
    text: missing ?? `de.backendInfo(): gather ${info.gather} — ${info.gatherReason}`,
  });
  const webgl = missing === null;
  try {
    for (const dim of GPU_DIMS) {
      const v = new de.Variable({ name: `perf_gpu_${dim}`, keyDtype: 'int32', dim, initCapacity: n });
      v.upsert(de.ids(Int32Array.from({ length: n }, (_, i) => i)), values(n, dim));
      const table = v.shards[0] as Engine.HashTable;
      const g = webgl ? new de.gpu.GpuGather(v) : null;
      try {
        for (const batch of GPU_BATCHES) {
          await st.next(`WASM vs WebGL gather: batch ${batch}, dim ${dim}`);
          const ranks = uniformRanks(n, batch, 3);
          const ids = de.ids(ranks);
          const minMs = S.minMs;
          // WASM: the rows gathered into a Float32Array (CPU memory, where a read-back of the
          // WebGL result also ends). Not timed through a tfjs tensor: on the WebGL backend a
          // tensor of CPU values would be uploaded and read back, charging WASM for WebGL.
          const out = new Float32Array(batch * dim);
          const wasmSec = timeIt(() => table.gather(ranks, out), { minMs, maxRuns: 200 });
          const label = `${batch / 1024}k × ${dim}`;
          const params = { batch, dim, label };
          if (g) {
            const webglSec = await timeItAsync(
              async () => {
                const t = g.lookup(ids);
                await t.data();
                t.dispose();
              },
              { minMs, maxRuns: 30 },
            );
            ctx.emit({
              kind: 'row',
              row: row(
                'gpu',
                `WebGL gather, batch ${batch}, dim ${dim}, ${n} keys`,
                webglSec * 1000,
                'ms/batch',
                wasmSec * 1000,
                'WASM gather (HashTable.gather into a Float32Array)',
                params,
                {
                  lowerIsBetter: true,
                  note: `rows end in CPU memory both ways (WebGL timed to await data(), read-back included)${software ? '; WebGL on a software renderer, not a GPU' : ''}`,
                },
              ),
            });
          } else {
            ctx.emit({
              kind: 'row',
              row: row(
                'gpu',
                `WASM gather, batch ${batch}, dim ${dim}, ${n} keys`,
                wasmSec * 1000,
                'ms/batch',
                undefined,
                undefined,
                params,
                {
                  note: 'no WebGL figure: WebGL is missing or unusable here (the note above says why)',
                },
              ),
            });
          }
        }
      } finally {
        g?.dispose();
        v.dispose();
      }
    }
  } finally {
    await tf.setBackend('cpu');
  }
}

async function workers(ctx: PerfContext, st: Stepper): Promise<void> {
  const { de } = ctx;
  const S = SIZES[ctx.size];
  const n = S.poolKeys;
  const batch = S.poolBatch;
  await st.next(`worker scaling: filling an in-process table of ${n.toLocaleString('en-US')} keys`);
  const local = fill(ctx, n, POOL_DIM, 65_536, false).wasm;
  const batches = Array.from({ length: 8 }, (_, r) => keysOfRanks(uniformRanks(n, batch, 100 + r)));
  const out = new Float32Array(batch * POOL_DIM);
  let k = 0;
  const inProcess = () => timeIt(() => local.gather(batches[k++ % batches.length], out), { minMs: S.minMs });
  const base0 = inProcess();
  ctx.emit({
    kind: 'row',
    row: row(
      'workers',
      `in-process lookup, ${n} keys, batch ${batch}, dim ${POOL_DIM}`,
      batch / base0,
      'keys/s',
      batch / base0,
      'in-process',
      {
        workers: 0,
        mode: 'in-process',
      },
    ),
  });
  const sab = de.pool.sharedMemoryAvailable();
  if (!sab) {
    ctx.emit({
      kind: 'note',
      section: 'workers',
      text: 'SharedArrayBuffer not measured: this page is not cross-origin isolated (COOP/COEP headers), so the pool can only use transferables.',
    });
  }
  try {
    for (const w of POOL_WORKERS) {
      for (const tr of POOL_TRANSPORTS) {
        const label = `worker scaling: ${w} worker${w > 1 ? 's' : ''}, ${tr.how}`;
        await st.next(tr.shared && !sab ? `${label} (not available here)` : label);
        if (tr.shared && !sab) continue;
        const pool = await de.pool.WorkerPool.create({
          size: w,
          spawn: ctx.spawn,
          callTimeoutMs: 120_000,
          shared: tr.shared,
        });
        try {
          if (pool.sharedMemory !== tr.shared) {
            throw new Error(`the pool's transport is not ${tr.how} (sharedMemory: ${pool.sharedMemory})`);
          }
          const t = await de.pool.PoolTable.create(pool, {
            keyDtype: 'int32',
            dim: POOL_DIM,
            partitions: w,
            initCapacity: n,
            recovery: false,
          });
          const chunk = 131_072;
          const vals = values(chunk, POOL_DIM);
          for (let o = 0; o < n; o += chunk) {
            const c = Math.min(chunk, n - o);
            await t.upsert(
              keysOfRanks(Int32Array.from({ length: c }, (_, i) => o + i)),
              vals.subarray(0, c * POOL_DIM),
            );
          }
          // each pool measurement alternates with the in-process lookup (A, B, A, B, ...), so the
          // ratio holds under the load other jobs put on the machine; 4 in-process lookups pair
          // with 4 pooled lookups in flight
          let j = 0;
          const local4 = async () => {
            for (let q = 0; q < 4; q++) local.gather(batches[k++ % batches.length], out);
          };
          const [seq, base] = await timePairAsync(
            () => t.gather(batches[j++ % batches.length]),
            async () => local.gather(batches[k++ % batches.length], out),
            { minMs: S.minMs, maxRuns: 50 },
          );
          const [inflight, base4] = await timePairAsync(
            () => Promise.all([0, 1, 2, 3].map((q) => t.gather(batches[(j + q) % batches.length]))),
            local4,
            { minMs: S.minMs, maxRuns: 20 },
          );
          for (const [mode, value, baseline] of [
            ['one lookup at a time', batch / seq, batch / base],
            ['4 lookups in flight', (4 * batch) / inflight, (4 * batch) / base4],
          ] as const) {
            ctx.emit({
              kind: 'row',
              row: row(
                'workers',
                `pool, ${w} workers, ${mode}, ${tr.how}`,
                value,
                'keys/s',
                baseline,
                'in-process',
                {
                  workers: w,
                  mode: `${mode === 'one lookup at a time' ? 'one at a time' : '4 in flight'}, ${tr.short}`,
                  transport: tr.how,
                },
                { note: `ids and results via ${tr.how}` },
              ),
            });
          }
          await t.dispose();
        } finally {
          await pool.terminate();
        }
      }
    }
  } finally {
    local.dispose();
  }
}

async function train(ctx: PerfContext, st: Stepper): Promise<void> {
  const { de, tf } = ctx;
  const S = SIZES[ctx.size];
  await tf.setBackend('cpu');
  const VOCAB = S.trainVocab;
  const BATCH = S.trainBatch;
  const FEATURES = 26;
  const DIM = 16;
  await st.next(`training step: building both models (vocab ${VOCAB.toLocaleString('en-US')})`);
  const table = new Float32Array(VOCAB * DIM);
  const r = uniformRanks(1 << 30, VOCAB * DIM, 7);
  for (let i = 0; i < table.length; i++) table[i] = (r[i] / (1 << 30) - 0.5) * 0.1;
  const tower = tf.randomNormal([FEATURES * DIM, 1], 0, 0.05, 'float32', 3);
  const labelsData = new Float32Array(BATCH);
  for (let i = 0; i < BATCH; i++) labelsData[i] = i % 5 === 0 ? 1 : 0;
  const labels = tf.tensor2d(labelsData, [BATCH, 1]);
  const v = new de.Variable({ name: 'perf_train', keyDtype: 'int32', dim: DIM, initCapacity: VOCAB });
  const CHUNK = 65_536;
  for (let k = 0; k < VOCAB; k += CHUNK) {
    const c = Math.min(CHUNK, VOCAB - k);
    v.upsert(de.ids(Int32Array.from({ length: c }, (_, i) => k + i)), table.subarray(k * DIM, (k + c) * DIM));
  }
  const w = tf.variable(tower.clone(), true, 'perf_train_tower');
  const opt = new de.optimizers.Adagrad({ learningRate: 0.05 });
  // The dense baseline: tf.layers.embedding's model written out — a [VOCAB, DIM] variable, gather,
  // the same tower and loss, tf.train.adagrad. Its gather gradient is a tf.scatterND into a dense
  // gradient (the stock unsortedSegmentSum gradient is far slower on the cpu backend), so the
  // baseline is the faster of the two.
  const E = tf.variable(tf.tensor2d(table, [VOCAB, DIM]), true, 'perf_train_dense');
  const W2 = tf.variable(tower.clone(), true, 'perf_train_dense_tower');
  const tfOpt = tf.train.adagrad(0.05);
  try {
    for (const dist of ['zipf', 'uniform'] as const) {
      await st.next(`training step: ${dist} ids, dynemb vs dense tfjs`);
      const count = BATCH * FEATURES;
      const ranks = dist === 'zipf' ? zipfRanks(VOCAB, count, 1.05, 11) : uniformRanks(VOCAB, count, 11);
      const unique = new Set(ranks).size;
      const ids = de.ids(ranks, [BATCH, FEATURES]);
      const ours = () =>
        de.train.step(
          opt,
          () =>
            tf.losses.sigmoidCrossEntropy(
              labels,
              tf.matMul(tf.reshape(de.embeddingLookup(v, ids), [BATCH, FEATURES * DIM]), w),
            ) as tfjs.Scalar,
          { varList: [w] },
        );
      const flat = tf.tensor1d(ranks, 'int32');
      const flatIdx = tf.expandDims(flat, 1);
      const denseGather = tf.customGrad((...args) => {
        return {
          value: tf.gather(args[0] as tfjs.Tensor, flat),
          gradFunc: (dy) => tf.scatterND(flatIdx, dy as tfjs.Tensor, [VOCAB, DIM]),
        };
      });
      const theirs = () => {
        const loss = tfOpt.minimize(
          () =>
            tf.losses.sigmoidCrossEntropy(
              labels,
              tf.matMul(tf.reshape(denseGather(E), [BATCH, FEATURES * DIM]), W2),
            ) as tfjs.Scalar,
          true,
          [E, W2],
        );
        loss?.dataSync();
        loss?.dispose();
      };
      const minMs = ctx.size === 'quick' ? 200 : 1500;
      const oursSec = timeIt(ours, { minMs, minRuns: 3, maxRuns: 30 });
      const tfSec = timeIt(theirs, { minMs, minRuns: 3, maxRuns: 10 });
      ctx.emit({
        kind: 'row',
        row: row(
          'train',
          `train step, ${dist} ids: batch ${BATCH} x ${FEATURES} features, dim ${DIM}, vocab ${VOCAB}, Adagrad`,
          1 / oursSec,
          'steps/s',
          1 / tfSec,
          'tfjs dense embedding + tf.train.adagrad',
          { dist, label: `${dist} ids` },
          {
            note: `${unique} unique rows; dynemb ${(oursSec * 1000).toFixed(1)} ms, tfjs ${(tfSec * 1000).toFixed(1)} ms per step (tfjs backend ${tf.getBackend()})`,
          },
        ),
      });
      flat.dispose();
      flatIdx.dispose();
    }
  } finally {
    v.dispose();
    w.dispose();
    E.dispose();
    W2.dispose();
    labels.dispose();
    tower.dispose();
    tfOpt.dispose();
  }
}

const RUNNERS: Record<SectionId, (ctx: PerfContext, st: Stepper) => Promise<void>> = {
  hashtable,
  gather,
  gpu,
  workers,
  train,
};

/**
 * Runs the chosen sections in order, reporting progress and each row as it is measured (through
 * `ctx.emit`); resolves with every row.
 *
 * @example
 * await runPerf({ de, tf, size: 'quick', emit: console.log }, ['hashtable']);
 */
export async function runPerf(ctx: PerfContext, sections: readonly SectionId[] = SECTIONS): Promise<PerfRow[]> {
  for (const s of sections) {
    if (!(SECTIONS as readonly string[]).includes(s)) {
      throw new Error(`runPerf: unknown section ${JSON.stringify(s)}; sections are ${SECTIONS.join(', ')}.`);
    }
  }
  if (ctx.size !== 'quick' && ctx.size !== 'full') {
    throw new Error(`runPerf: size must be 'quick' or 'full', got ${JSON.stringify(ctx.size)}.`);
  }
  const rows: PerfRow[] = [];
  const inner: PerfContext = {
    ...ctx,
    emit: (e) => {
      if (e.kind === 'row') rows.push(e.row);
      ctx.emit(e);
    },
  };
  const st = new Stepper(
    inner,
    sections.reduce((a, s) => a + caseCount(s, ctx.size), 0),
  );
  for (const s of sections) await RUNNERS[s](inner, st);
  ctx.emit({ kind: 'progress', done: st.total, total: st.total, label: 'done' });
  return rows;
}

/** Facts about the machine the figures come from. */
export interface MachineFacts {
  cores: number | null;
  simd: boolean;
  crossOriginIsolated: boolean;
  webglRenderer: string;
  userAgent: string;
}

/** Reads the machine facts shown beside the results (works in a page, a worker, or Node). */
export function machineFacts(de: typeof Engine): MachineFacts {
  const g = globalThis as {
    navigator?: { hardwareConcurrency?: number; userAgent?: string };
    OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): WebGLRenderingContext | null };
    crossOriginIsolated?: boolean;
  };
  let webglRenderer = 'none (no WebGL here)';
  try {
    if (g.OffscreenCanvas) {
      const c = new g.OffscreenCanvas(1, 1);
      const gl = c.getContext('webgl2') ?? c.getContext('webgl');
      if (gl) {
        const ext = gl.getExtension('WEBGL_debug_renderer_info');
        webglRenderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
        gl.getExtension('WEBGL_lose_context')?.loseContext();
      }
    }
  } catch (e) {
    webglRenderer = `unavailable (${e instanceof Error ? e.message : String(e)})`;
  }
  return {
    cores: g.navigator?.hardwareConcurrency ?? null,
    simd: de.backendInfo().wasm === 'simd',
    crossOriginIsolated: g.crossOriginIsolated === true,
    webglRenderer,
    userAgent: g.navigator?.userAgent ?? 'unknown',
  };
}
