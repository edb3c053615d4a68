// Training-step benchmark: one step (lookup + gradient + sparse Adagrad update) of a model with
// 26 categorical features sharing a 1e6-key table (dim 16), a linear tower and a sigmoid
// cross-entropy loss, batch 4,096 — against the same model in plain tfjs (`tf.layers.embedding`
// of a dense [1e6, 16] matrix + tf.train.adagrad) in the same run, on the same tfjs backend.
import * as tf from '@tensorflow/tfjs';
import { rng, timeIt, timePair, uniformRanks, zipfRanks } from './lib.mjs';

const S = 'train';
const BASELINE =
  'tfjs dense [vocab, 16] tf.variable + tf.gather with a tf.scatterND gradient + tf.train.adagrad (stock tf.layers.embedding gradient: see the extrapolated row)';

export async function run({ de, quick, log }) {
  await tf.setBackend('cpu');
  const VOCAB = quick ? 100_000 : 1_000_000;
  const BATCH = quick ? 512 : 4096;
  const FEATURES = 26;
  const DIM = 16;
  const rows = [];

  // one shared set of weights, so both models start from the same state
  const r = rng(7);
  const table = new Float32Array(VOCAB * DIM);
  for (let i = 0; i < table.length; i++) table[i] = (r() - 0.5) * 0.1;
  const tower = tf.randomNormal([FEATURES * DIM, 1], 0, 0.05, 'float32', 3);
  const labelsData = new Float32Array(BATCH);
  for (let i = 0; i < BATCH; i++) labelsData[i] = r() < 0.2 ? 1 : 0;
  const labels = tf.tensor2d(labelsData, [BATCH, 1]);

  // the dynamic table holds the whole vocabulary, as the dense one does
  const v = new de.Variable({ name: 'bench_train', keyDtype: 'int32', dim: DIM, initCapacity: VOCAB });
  const CHUNK = 65536;
  for (let k = 0; k < VOCAB; k += CHUNK) {
    const n = Math.min(CHUNK, VOCAB - k);
    v.upsert(de.ids(Int32Array.from({ length: n }, (_, i) => k + i)), table.subarray(k * DIM, (k + n) * DIM));
  }
  const w = tf.variable(tower.clone(), true, 'bench_train_tower');
  const opt = new de.optimizers.Adagrad({ learningRate: 0.05 });

  // The dense baseline is tf.layers.embedding's model written out: a [VOCAB, DIM] tf.variable,
  // tf.gather, the same tower and loss, tf.train.adagrad over the whole matrix. Its gather
  // gradient is tfjs's own tf.scatterND into a dense [VOCAB, DIM] gradient: tf.layers.embedding's
  // stock gradient (tf.gather's gradient is unsortedSegmentSum, which the cpu backend computes
  // with one masked pass over all batch ids per vocabulary row) would take hours per step at
  // VOCAB = 1e6 — measured below on small vocabularies and extrapolated — so the baseline given
  // here is the faster of the two.
  const E = tf.variable(tf.tensor2d(table, [VOCAB, DIM]), true, 'bench_train_dense');
  const W2 = tf.variable(tower.clone(), true, 'bench_train_dense_tower');
  const tfOpt = tf.train.adagrad(0.05);

  for (const dist of ['zipf', 'uniform']) {
    const n = BATCH * FEATURES;
    const ranks = dist === 'zipf' ? zipfRanks(VOCAB, n, 1.05, 11) : uniformRanks(VOCAB, n, 11);
    const unique = new Set(ranks).size;
    const ids = de.ids(ranks, [BATCH, FEATURES]);

    const ours = () =>
      de.train.step(
        opt,
        () =>
          tf.losses.sigmoidCrossEntropy(
            labels,
            tf.matMul(tf.reshape(de.embeddingLookup(v, ids), [BATCH, FEATURES * DIM]), w),
          ),
        { varList: [w] },
      );
    const flat = tf.tensor1d(ranks, 'int32');
    const flatIdx = tf.expandDims(flat, 1);
    const denseGather = tf.customGrad((x) => ({
      value: tf.gather(x, flat),
      gradFunc: (dy) => tf.scatterND(flatIdx, dy, [VOCAB, DIM]),
    }));
    const theirs = () => {
      const loss = tfOpt.minimize(
        () => tf.losses.sigmoidCrossEntropy(labels, tf.matMul(tf.reshape(denseGather(E), [BATCH, FEATURES * DIM]), W2)),
        true,
        [E, W2],
      );
      loss.dataSync();
      loss.dispose();
    };
    log(`  ${dist}: ${n} ids, ${unique} unique; timing dynemb and tfjs dense steps alternately`);
    const [oursSec, tfSec] = timePair(ours, theirs, { minMs: quick ? 200 : 3000, minRuns: quick ? 3 : 5, maxRuns: 40 });
    rows.push({
      section: S,
      name: `train step, ${dist} ids: batch ${BATCH} x ${FEATURES} features, dim ${DIM}, vocab ${VOCAB}, Adagrad (${unique} unique rows)`,
      value: 1 / oursSec,
      unit: 'steps/s',
      baseline: 1 / tfSec,
      ratio: tfSec / oursSec,
      target: '>= 5x tfjs dense embedding + Adagrad',
      baselineName: BASELINE,
      note: `dynemb ${(oursSec * 1000).toFixed(1)} ms/step, tfjs ${(tfSec * 1000).toFixed(1)} ms/step (backend ${tf.getBackend()}); baseline: ${BASELINE}`,
    });
    flat.dispose();
    flatIdx.dispose();
  }

  // A multi-hot feature through embeddingLookupSparse (mean of the row's 26 ids): the combine and
  // its gradient are linear scatter-add / gather passes. tfjs's cpu unsortedSegmentSum (what the
  // combine used before) makes one masked pass over all entries per output row: its forward alone
  // is timed on a few segments and extrapolated to BATCH rows.
  {
    const n = BATCH * FEATURES;
    const ranks = zipfRanks(VOCAB, n, 1.05, 13);
    const indices = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      indices[2 * i] = Math.floor(i / FEATURES);
      indices[2 * i + 1] = i % FEATURES;
    }
    const sp = new de.SparseTensor({ indices, values: ranks, denseShape: [BATCH, FEATURES] });
    const w16 = tf.variable(tf.randomNormal([DIM, 1], 0, 0.05, 'float32', 5), true, 'bench_train_sparse_tower');
    const sparseStep = () =>
      de.train.step(
        opt,
        () =>
          tf.losses.sigmoidCrossEntropy(
            labels,
            tf.matMul(de.embeddingLookupSparse(v, sp, null, { combiner: 'mean' }), w16),
          ),
        { varList: [w16] },
      );
    log('  sparse: timing an embeddingLookupSparse (mean) step and tfjs unsortedSegmentSum on 8 segments');
    const sparseSec = timeIt(sparseStep, { minMs: quick ? 200 : 2000, minRuns: 3, maxRuns: 30 });
    const entries = tf.randomNormal([n, DIM]);
    const seg = tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => Math.floor(i / FEATURES) % 8),
      'int32',
    );
    const segSec = timeIt(() => tf.tidy(() => tf.unsortedSegmentSum(entries, seg, 8).dataSync()), {
      minMs: 0,
      minRuns: 2,
      maxRuns: 2,
    });
    const oldSec = (segSec / 8) * BATCH;
    rows.push({
      section: S,
      name: `train step, embeddingLookupSparse (mean of ${FEATURES} Zipf ids per row): batch ${BATCH}, dim ${DIM}, vocab ${VOCAB}, Adagrad`,
      value: 1 / sparseSec,
      unit: 'steps/s',
      baseline: 1 / oldSec,
      ratio: oldSec / sparseSec,
      note: `dynemb ${(sparseSec * 1000).toFixed(1)} ms/step; baseline: tfjs cpu unsortedSegmentSum's forward alone over ${BATCH} rows, extrapolated from 8 (${(segSec * 1000).toFixed(1)} ms) to ${oldSec.toFixed(1)} s`,
    });
    entries.dispose();
    seg.dispose();
    w16.dispose();
  }

  // Why not stock tf.layers.embedding: time its real training step (the layer, the same tower and
  // loss, tf.train.adagrad) on two small vocabularies with the same batch; the step grows
  // linearly with the vocabulary (one unsortedSegmentSum pass per row), so extrapolate to VOCAB.
  {
    const n = BATCH * FEATURES;
    const ranks = uniformRanks(VOCAB, n, 11);
    const [small, large] = quick ? [4, 12] : [2, 6];
    const stockSec = (vocab) => {
      const layer = tf.layers.embedding({ inputDim: vocab, outputDim: DIM, name: `bench_stock_${vocab}` });
      const x = tf.tensor2d(
        Int32Array.from(ranks, (k) => k % vocab),
        [BATCH, FEATURES],
        'int32',
      );
      layer.apply(x); // builds the weights
      const W3 = tf.variable(tower.clone(), true, `bench_train_stock_tower_${vocab}`);
      const vars = [...layer.trainableWeights.map((lw) => lw.read()), W3];
      const opt3 = tf.train.adagrad(0.05);
      const stepStock = () => {
        const loss = opt3.minimize(
          () =>
            tf.losses.sigmoidCrossEntropy(labels, tf.matMul(tf.reshape(layer.apply(x), [BATCH, FEATURES * DIM]), W3)),
          true,
          vars,
        );
        loss.dataSync();
        loss.dispose();
      };
      const sec = timeIt(stepStock, { minMs: 0, minRuns: 1, maxRuns: 1 });
      x.dispose();
      W3.dispose();
      layer.dispose();
      opt3.dispose();
      return sec;
    };
    log(`  stock tf.layers.embedding: timing vocab ${small} and ${large}`);
    const a = stockSec(small);
    const b = stockSec(large);
    const perRow = Math.max((b - a) / (large - small), 0);
    const estimate = a + perRow * (VOCAB - small);
    rows.push({
      section: S,
      name: `stock tf.layers.embedding + tf.train.adagrad step at vocab ${VOCAB}, extrapolated (batch ${BATCH} x ${FEATURES}, dim ${DIM})`,
      value: estimate / 3600,
      unit: 'hours/step',
      note: `measured ${(a * 1000).toFixed(0)} ms/step at vocab ${small} and ${(b * 1000).toFixed(0)} ms/step at vocab ${large}: ${(perRow * 1000).toFixed(1)} ms per vocabulary row (tf.gather's gradient is unsortedSegmentSum: one masked pass over the batch per row on the cpu backend); linear extrapolation to ${VOCAB} rows`,
    });
  }

  v.dispose();
  w.dispose();
  labels.dispose();
  E.dispose();
  W2.dispose();
  return rows;
}
