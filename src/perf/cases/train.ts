// Training-step section: one step (lookup + gradient + sparse Adagrad update) of a model with 26
// categorical features sharing one table, a linear tower and a sigmoid cross-entropy loss,
// against the same model in plain tfjs (a dense [vocab, 16] embedding + tf.train.adagrad), timed
// alternately on the same tfjs backend. Deep runs add a sparse (multi-hot) step and the stock
// tf.layers.embedding step, extrapolated.
import type * as tfjs from '@tensorflow/tfjs';
import { type PerfContext, row, SIZES, type Stepper } from '../context.js';
import { uniformRanks, zipfRanks } from '../ids.js';
import { timeIt, timePair } from '../timing.js';
import { backendSteps, trainBackends } from './train-backends.js';

const FEATURES = 26;
const DIM = 16;

/** Progress steps of the section. */
export function trainSteps(ctx: Pick<PerfContext, 'deep' | 'size'>): number {
  return 3 + (ctx.deep ? 2 + backendSteps(ctx) : 0);
}

const BASELINE = 'tfjs dense embedding + tf.train.adagrad';

/** The two models, sharing their starting weights, and what a step of each needs. */
interface Models {
  vocab: number;
  batch: number;
  v: InstanceType<PerfContext['de']['Variable']>;
  w: tfjs.Variable;
  opt: InstanceType<PerfContext['de']['optimizers']['Adagrad']>;
  labels: tfjs.Tensor2D;
  tower: tfjs.Tensor;
  /** The starting rows, rank k at row k: the dense model starts from them too. */
  table: Float32Array;
  dispose(): void;
}

function build(ctx: PerfContext): Models {
  const { de, tf } = ctx;
  const S = SIZES[ctx.size];
  const vocab = S.trainVocab;
  const batch = S.trainBatch;
  const table = new Float32Array(vocab * DIM);
  const r = uniformRanks(1 << 30, vocab * DIM, 7);
  for (let i = 0; i < table.length; i++) table[i] = (r[i] / (1 << 30) - 0.5) * 0.1;
  const tower = tf.randomNormal([FEATURES * DIM, 1], 0, 0.05, 'float32', 3);
  const labelsData = new Float32Array(batch);
  for (let i = 0; i < batch; i++) labelsData[i] = i % 5 === 0 ? 1 : 0;
  const labels = tf.tensor2d(labelsData, [batch, 1]);
  // the dynamic table holds the whole vocabulary, as the dense one does
  const v = new de.Variable({ name: 'perf_train', keyDtype: 'int32', dim: DIM, initCapacity: vocab });
  const CHUNK = 65_536;
  for (let k = 0; k < vocab; k += CHUNK) {
    const c = Math.min(CHUNK, vocab - k);
    v.upsert(de.ids(Int32Array.from({ length: c }, (_, i) => k + i)), table.subarray(k * DIM, (k + c) * DIM));
  }
  const w = tf.variable(tower.clone(), true, 'perf_train_tower');
  const opt = new de.optimizers.Adagrad({ learningRate: 0.05 });
  return {
    vocab,
    batch,
    v,
    w,
    opt,
    labels,
    tower,
    table,
    dispose() {
      v.dispose();
      w.dispose();
      labels.dispose();
      tower.dispose();
    },
  };
}

export async function train(ctx: PerfContext, st: Stepper): Promise<void> {
  const { tf } = ctx;
  await tf.setBackend('cpu');
  await st.next(`training step: building both models (vocab ${SIZES[ctx.size].trainVocab.toLocaleString('en-US')})`);
  const m = build(ctx);
  try {
    await denseVsDynamic(ctx, st, m);
    if (ctx.deep) {
      await sparseStep(ctx, st, m);
      await stockExtrapolated(ctx, st, m);
      await trainBackends(ctx, st);
    }
  } finally {
    m.dispose();
  }
}

/** A step of the dynamic model against the dense tfjs model, Zipf and uniform ids. */
async function denseVsDynamic(ctx: PerfContext, st: Stepper, m: Models): Promise<void> {
  const { de, tf } = ctx;
  const { vocab: VOCAB, batch: BATCH, v, w, opt, labels } = m;
  // The dense baseline: tf.layers.embedding's model written out — a [VOCAB, DIM] variable, gather,
  // the same tower and loss, tf.train.adagrad. Its gather gradient is a tf.scatterND into a dense
  // gradient (the stock unsortedSegmentSum gradient is far slower on the cpu backend: see the deep
  // run's extrapolated row), so the baseline is the faster of the two.
  const E = tf.variable(tf.tensor2d(m.table, [VOCAB, DIM]), true, 'perf_train_dense');
  const W2 = tf.variable(m.tower.clone(), true, 'perf_train_dense_tower');
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
      const denseGather = tf.customGrad((...args) => ({
        value: tf.gather(args[0] as tfjs.Tensor, flat),
        gradFunc: (dy) => tf.scatterND(flatIdx, dy as tfjs.Tensor, [VOCAB, DIM]),
      }));
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
      const t = timePair(ours, theirs, { minMs, minRuns: 3, maxRuns: 30 });
      ctx.emit({
        kind: 'row',
        row: row(
          'train',
          `train step, ${dist} ids: batch ${BATCH} x ${FEATURES} features, dim ${DIM}, vocab ${VOCAB}, Adagrad`,
          1 / t.a,
          'steps/s',
          1 / t.b,
          BASELINE,
          { dist, label: `${dist} ids` },
          {
            target: '>= 5x tfjs dense embedding + Adagrad',
            note: `${unique} unique rows; dynemb ${(t.a * 1000).toFixed(1)} ms, tfjs ${(t.b * 1000).toFixed(1)} ms per step, timed alternately (tfjs backend ${tf.getBackend()})`,
          },
        ),
      });
      flat.dispose();
      flatIdx.dispose();
    }
  } finally {
    E.dispose();
    W2.dispose();
    tfOpt.dispose();
  }
}

/**
 * A multi-hot feature through embeddingLookupSparse (mean of the row's 26 ids): the combine and its
 * gradient are linear scatter-add / gather passes. tfjs's cpu unsortedSegmentSum (what the combine
 * used before) makes one masked pass over all entries per output row: its forward alone is timed
 * on a few segments and extrapolated to the batch.
 */
async function sparseStep(ctx: PerfContext, st: Stepper, m: Models): Promise<void> {
  const { de, tf } = ctx;
  const { vocab: VOCAB, batch: BATCH, v, opt, labels } = m;
  await st.next('training step: embeddingLookupSparse (mean) vs tfjs unsortedSegmentSum');
  const n = BATCH * FEATURES;
  const ranks = zipfRanks(VOCAB, n, 1.05, 13);
  const indices = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    indices[2 * i] = Math.floor(i / FEATURES);
    indices[2 * i + 1] = i % FEATURES;
  }
  const sp = new de.SparseTensor({ indices, values: ranks, denseShape: [BATCH, FEATURES] });
  const w16 = tf.variable(tf.randomNormal([DIM, 1], 0, 0.05, 'float32', 5), true, 'perf_train_sparse_tower');
  const entries = tf.randomNormal([n, DIM]);
  const seg = tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => Math.floor(i / FEATURES) % 8),
    'int32',
  );
  try {
    const step = () =>
      de.train.step(
        opt,
        () =>
          tf.losses.sigmoidCrossEntropy(
            labels,
            tf.matMul(de.embeddingLookupSparse(v, sp, null, { combiner: 'mean' }), w16),
          ) as tfjs.Scalar,
        { varList: [w16] },
      );
    const sparseSec = timeIt(step, { minMs: ctx.size === 'quick' ? 200 : 2000, minRuns: 3, maxRuns: 30 });
    const segSec = timeIt(() => tf.tidy(() => tf.unsortedSegmentSum(entries, seg, 8).dataSync()), {
      minMs: 0,
      minRuns: 2,
      maxRuns: 2,
    });
    const oldSec = (segSec / 8) * BATCH;
    ctx.emit({
      kind: 'row',
      row: row(
        'train',
        `train step, embeddingLookupSparse (mean of ${FEATURES} Zipf ids per row): batch ${BATCH}, dim ${DIM}, vocab ${VOCAB}, Adagrad`,
        1 / sparseSec,
        'steps/s',
        1 / oldSec,
        `tfjs cpu unsortedSegmentSum forward alone, extrapolated from 8 rows to ${BATCH}`,
        { deep: 1 },
        {
          note: `dynemb ${(sparseSec * 1000).toFixed(1)} ms/step; unsortedSegmentSum ${(segSec * 1000).toFixed(1)} ms for 8 rows, so ${oldSec.toFixed(1)} s for ${BATCH}`,
        },
      ),
    });
  } finally {
    entries.dispose();
    seg.dispose();
    w16.dispose();
  }
}

/**
 * Why not stock tf.layers.embedding: its real training step (the layer, the same tower and loss,
 * tf.train.adagrad) timed on two small vocabularies with the same batch; the step grows linearly
 * with the vocabulary (one unsortedSegmentSum pass per row), so it is extrapolated to the vocabulary.
 */
async function stockExtrapolated(ctx: PerfContext, st: Stepper, m: Models): Promise<void> {
  const { tf } = ctx;
  const { vocab: VOCAB, batch: BATCH, labels } = m;
  const [small, large] = ctx.size === 'quick' ? [4, 12] : [2, 6];
  await st.next(`training step: stock tf.layers.embedding at vocab ${small} and ${large}, extrapolated`);
  const ranks = uniformRanks(VOCAB, BATCH * FEATURES, 11);
  const stockSec = (vocab: number) => {
    const layer = tf.layers.embedding({ inputDim: vocab, outputDim: DIM, name: `perf_stock_${vocab}` });
    const x = tf.tensor2d(
      Int32Array.from(ranks, (k) => k % vocab),
      [BATCH, FEATURES],
      'int32',
    );
    layer.apply(x); // builds the weights
    const W3 = tf.variable(m.tower.clone(), true, `perf_stock_tower_${vocab}`);
    const vars = [...layer.trainableWeights.map((lw) => lw.read() as tfjs.Variable), W3];
    const opt3 = tf.train.adagrad(0.05);
    try {
      return timeIt(
        () => {
          const loss = opt3.minimize(
            () =>
              tf.losses.sigmoidCrossEntropy(
                labels,
                tf.matMul(tf.reshape(layer.apply(x) as tfjs.Tensor, [BATCH, FEATURES * DIM]), W3),
              ) as tfjs.Scalar,
            true,
            vars,
          );
          loss?.dataSync();
          loss?.dispose();
        },
        { minMs: 0, minRuns: 1, maxRuns: 1 },
      );
    } finally {
      x.dispose();
      W3.dispose();
      layer.dispose();
      opt3.dispose();
    }
  };
  const a = stockSec(small);
  const b = stockSec(large);
  const perRow = Math.max((b - a) / (large - small), 0);
  const estimate = a + perRow * (VOCAB - small);
  ctx.emit({
    kind: 'row',
    row: row(
      'train',
      `stock tf.layers.embedding + tf.train.adagrad step at vocab ${VOCAB}, extrapolated (batch ${BATCH} x ${FEATURES}, dim ${DIM})`,
      estimate / 3600,
      'hours/step',
      undefined,
      undefined,
      { deep: 1 },
      {
        note: `measured ${(a * 1000).toFixed(0)} ms/step at vocab ${small} and ${(b * 1000).toFixed(0)} ms/step at vocab ${large}: ${(perRow * 1000).toFixed(1)} ms per vocabulary row (tf.gather's gradient is unsortedSegmentSum: one masked pass over the batch per row on the cpu backend); linear extrapolation to ${VOCAB} rows`,
      },
    ),
  });
}
