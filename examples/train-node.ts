// Trains a click-through model on a synthetic click log with dynamic embeddings, and shows that
// it learns: held-out log-loss and AUC against a constant-CTR baseline and against the ceiling
// set by the log's true click probabilities. Then restricts the user table and checkpoints.
//
//   npm run build:lib && node examples/run.mjs examples/train-node.ts
//
// The log: users have a favourite genre, items a genre and a quality, clicks depend on both and
// on the device. Ids are large and sparse, as in real logs (no vocabulary is declared: the tables
// grow as training meets new ids). The model: logit = bias + item bias + device bias + <user, item>.
import * as tf from '@tensorflow/tfjs';
import * as de from '../src/engine/index.js';

await tf.setBackend('cpu');
await de.ready();

// ---- a seeded synthetic world ----------------------------------------------------------------
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const world = lcg(42);
const NUM_USERS = 2_000;
const NUM_ITEMS = 400;
const GENRES = 5;
const favourite = Int32Array.from({ length: NUM_USERS }, () => Math.floor(world() * GENRES));
const genre = Int32Array.from({ length: NUM_ITEMS }, () => Math.floor(world() * GENRES));
const quality = Float32Array.from({ length: NUM_ITEMS }, () => (world() - 0.5) * 2); // in [-1, 1)
const DEVICE_EFFECT = [-0.6, 0, 0.5]; // desktop, phone, tablet
// item popularity: Zipf(0.9) over the items, as a cumulative table for sampling
const cdf = new Float64Array(NUM_ITEMS);
for (let i = 0, acc = 0; i < NUM_ITEMS; i++) cdf[i] = acc += 1 / (i + 1) ** 0.9;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// the true click probability of a (user, item, device) impression
const clickProb = (u: number, i: number, d: number) =>
  sigmoid(-1.6 + (favourite[u] === genre[i] ? 2.6 : 0) + quality[i] + DEVICE_EFFECT[d]);
// sparse, unrelated-looking ids for users, items and devices
const userId = (u: number) => 1_000_003 * (u + 1) + 17;
const itemId = (i: number) => 7_919 * (i + 1) + 5;
const deviceId = (d: number) => 900_000_001 + d;

interface Batch {
  users: Int32Array;
  items: Int32Array;
  devices: Int32Array;
  labels: Float32Array;
  truth: Float32Array;
}
function sampleLog(n: number, rand: () => number): Batch {
  const b: Batch = {
    users: new Int32Array(n),
    items: new Int32Array(n),
    devices: new Int32Array(n),
    labels: new Float32Array(n),
    truth: new Float32Array(n),
  };
  for (let k = 0; k < n; k++) {
    const u = Math.floor(rand() * NUM_USERS);
    const x = rand() * cdf[NUM_ITEMS - 1];
    let i = 0;
    while (cdf[i] < x) i++;
    const d = Math.floor(rand() * 3);
    b.users[k] = userId(u);
    b.items[k] = itemId(i);
    b.devices[k] = deviceId(d);
    b.truth[k] = clickProb(u, i, d);
    b.labels[k] = rand() < b.truth[k] ? 1 : 0;
  }
  return b;
}

// ---- metrics ---------------------------------------------------------------------------------
function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) {
    const q = Math.min(Math.max(p[k], 1e-7), 1 - 1e-7);
    s -= y[k] ? Math.log(q) : Math.log(1 - q);
  }
  return s / y.length;
}
// area under the ROC curve: the probability that a random click scores above a random non-click (ties count half)
function auc(score: ArrayLike<number>, y: ArrayLike<number>): number {
  const order = Array.from({ length: y.length }, (_, k) => k).sort((a, b) => score[a] - score[b]);
  let rankSum = 0;
  let pos = 0;
  for (let a = 0; a < order.length;) {
    let b = a;
    while (b + 1 < order.length && score[order[b + 1]] === score[order[a]]) b++;
    for (let k = a; k <= b; k++) {
      if (y[order[k]]) {
        rankSum += (a + b) / 2 + 1;
        pos++;
      }
    }
    a = b + 1;
  }
  const neg = y.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

// ---- the model -------------------------------------------------------------------------------
const DIM = 8;
const user = new de.Variable({
  name: 'user_emb',
  keyDtype: 'int32',
  dim: DIM,
  initializer: de.initializers.randomNormal({ stddev: 0.1, seed: 1 }),
  restrictPolicy: de.FrequencyRestrictPolicy,
});
const item = new de.Variable({
  name: 'item_emb',
  keyDtype: 'int32',
  dim: DIM,
  initializer: de.initializers.randomNormal({ stddev: 0.1, seed: 2 }),
});
const itemBias = new de.Variable({ name: 'item_bias', keyDtype: 'int32', dim: 1 });
const deviceBias = new de.Variable({ name: 'device_bias', keyDtype: 'int32', dim: 1 });
const bias = tf.variable(tf.zeros([1]), true, 'bias'); // a dense tfjs variable, trained in the same step
// Adam (lazy: only the rows read are updated). With a mean loss over 512 impressions each row's
// gradient is small; Adam normalises it per coordinate, where Adagrad's initial accumulator (0.1,
// Keras' default) would shrink the first steps of rarely seen ids to almost nothing.
const opt = new de.optimizers.Adam({ learningRate: 0.03 });

function logits(b: Batch): tf.Tensor {
  const u = de.embeddingLookup(user, de.ids(b.users));
  const i = de.embeddingLookup(item, de.ids(b.items));
  const ib = de.embeddingLookup(itemBias, de.ids(b.items));
  const db = de.embeddingLookup(deviceBias, de.ids(b.devices));
  return tf.squeeze(tf.addN([tf.sum(tf.mul(u, i), 1, true), ib, db, tf.broadcastTo(bias, ib.shape)]), [1]);
}

// ---- train, evaluating on a held-out log ---------------------------------------------------
const train = lcg(7);
const test = sampleLog(8_192, lcg(99));
const BATCH = 512;
const STEPS = 600;
let clicks = 0;
let seen = 0;
const evaluate = () => {
  const p = tf.tidy(() => tf.sigmoid(logits(test)).dataSync() as Float32Array);
  return { loss: logLoss(p, test.labels), auc: auc(p, test.labels) };
};
const ceiling = { loss: logLoss(test.truth, test.labels), auc: auc(test.truth, test.labels) };
console.log(
  `held-out log: ${test.labels.length} impressions; ceiling (true click probabilities): log-loss ${ceiling.loss.toFixed(4)}, AUC ${ceiling.auc.toFixed(3)}`,
);
const start = evaluate();
console.log(`before training:      held-out log-loss ${start.loss.toFixed(4)}  AUC ${start.auc.toFixed(3)}`);
const t0 = performance.now();
let sum = 0;
let last = start;
for (let s = 1; s <= STEPS; s++) {
  const b = sampleLog(BATCH, train);
  for (const y of b.labels) clicks += y;
  seen += BATCH;
  const loss = de.train.step(opt, () => {
    const labels = tf.tensor1d(b.labels);
    return tf.losses.sigmoidCrossEntropy(labels, logits(b)) as tf.Scalar;
  });
  if (s === 1) console.log(`step 1: train loss ${loss.toFixed(4)}`);
  sum += loss;
  if (s % 100 === 0) {
    last = evaluate();
    console.log(
      `steps ${String(s - 99).padStart(3)}-${String(s).padStart(3)}: train loss ${(sum / 100).toFixed(4)}  held-out log-loss ${last.loss.toFixed(4)}  AUC ${last.auc.toFixed(3)}  (users ${user.size()}, items ${item.size()})`,
    );
    sum = 0;
  }
}
const seconds = (performance.now() - t0) / 1000;

// the constant-CTR baseline: predict the training click rate for every impression
const ctr = clicks / seen;
const baseline = { loss: logLoss(new Float32Array(test.labels.length).fill(ctr), test.labels), auc: 0.5 };
console.log(`\n${STEPS} steps of ${BATCH} in ${seconds.toFixed(1)} s`);
const row = (name: string, m: { loss: number; auc: number }) =>
  console.log(`${name.padEnd(28)}${m.loss.toFixed(4).padStart(8)}${m.auc.toFixed(3).padStart(9)}`);
console.log(`${'held-out'.padEnd(28)}${'log-loss'.padStart(8)}${'AUC'.padStart(9)}`);
row(`constant CTR (${ctr.toFixed(3)})`, baseline);
row('dynemb model', last);
row('true click probabilities', ceiling);
const gap = (baseline.loss - last.loss) / (baseline.loss - ceiling.loss);
console.log(`the model closes ${(100 * gap).toFixed(0)}% of the log-loss gap between the baseline and the ceiling`);

// keep the 1,500 most frequently updated users (FrequencyRestrictPolicy), then checkpoint
const removed = user.restrict(1_500);
console.log(`\nrestrict(1500) removed ${removed} users; ${user.size()} remain (their Adam slots too)`);
const bytes = await de.checkpoint.save([user, item, itemBias, deviceBias, opt]);
console.log(`checkpoint: ${bytes.length} bytes (tables, Adam slots, step counters, restrict status)`);
