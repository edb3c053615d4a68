// Trains a small click-through model on a synthetic click log with dynamic embeddings:
// two hash-table features (user, item) of dim 8 and a dense tower, Adagrad, binary
// cross-entropy. Prints the loss falling, the table sizes, and saves a checkpoint.
//
//   npm run build:lib && node examples/run.mjs examples/train-node.ts
import * as tf from '@tensorflow/tfjs';
import * as de from '../src/engine/index.js';

await tf.setBackend('cpu');
await de.ready();

// A synthetic click log: users and items have hidden tastes in 4 genres; a click is likely
// when they match. Ids are large and sparse, as in real logs (no fixed vocabulary).
let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 4294967296;
};
const NUM_USERS = 300;
const NUM_ITEMS = 60;
const userId = (u: number) => 100_003 * u + 17;
const itemId = (i: number) => 7_919 * i + 5;
function sampleBatch(n: number) {
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const labels = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = Math.floor(rand() * NUM_USERS);
    const i = Math.floor(rand() * NUM_ITEMS);
    users[k] = userId(u);
    items[k] = itemId(i);
    labels[k] = rand() < (u % 4 === i % 4 ? 0.8 : 0.1) ? 1 : 0;
  }
  return { users, items, labels };
}

const DIM = 8;
const user = new de.Variable({
  name: 'user_emb',
  keyDtype: 'int32',
  dim: DIM,
  initializer: de.initializers.randomNormal({ stddev: 0.5, seed: 1 }),
  restrictPolicy: de.FrequencyRestrictPolicy,
});
const item = new de.Variable({
  name: 'item_emb',
  keyDtype: 'int32',
  dim: DIM,
  initializer: de.initializers.randomNormal({ stddev: 0.5, seed: 2 }),
});
const tower = tf.variable(tf.randomNormal([2 * DIM, 1], 0, 0.1, 'float32', 3), true, 'tower');
const bias = tf.variable(tf.zeros([1]), true, 'bias');
const opt = new de.optimizers.Adagrad({ learningRate: 0.5 });

const BATCH = 256;
let sum = 0;
for (let s = 1; s <= 500; s++) {
  const b = sampleBatch(BATCH);
  sum += de.train.step(opt, () => {
    const u = de.embeddingLookup(user, de.ids(b.users));
    const i = de.embeddingLookup(item, de.ids(b.items));
    const logits = tf.add(tf.add(tf.matMul(tf.concat([u, i], 1), tower), bias), tf.sum(tf.mul(u, i), 1, true));
    return tf.losses.sigmoidCrossEntropy(tf.tensor2d(b.labels, [BATCH, 1]), logits) as tf.Scalar;
  });
  if (s % 50 === 0) {
    console.log(`steps ${s - 49}-${s}  mean loss ${(sum / 50).toFixed(4)}  users ${user.size()}  items ${item.size()}`);
    sum = 0;
  }
}

// keep the 200 most frequently updated users (FrequencyRestrictPolicy), then checkpoint
const removed = user.restrict(200);
console.log(`restrict(200) removed ${removed} users; ${user.size()} remain`);
const bytes = await de.checkpoint.save([user, item, opt]);
console.log(`checkpoint: ${bytes.length} bytes (tables, Adagrad slots, step counters, status table)`);
