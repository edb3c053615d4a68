// The training step of issue #18's case on each host tfjs backend: 4,096 x 26 int64 ids, dim 16,
// a 1e6-key table (quick: 512 x 26 on 1e5 keys), Adagrad, loss tf.sum(tf.square(lookup)), on
// tfjs's cpu backend and, where it is registered (npm run bench registers
// @tensorflow/tfjs-backend-wasm), on the wasm backend: the dense math (the Sum gradient's
// broadcast multiply above all) is what the backend changes. Full deep runs add the same step
// on a 1e7-key table. Deep cases (npm run bench).
import type * as tfjs from '@tensorflow/tfjs';
import { clock, gc, type PerfContext, row, SIZES, type Stepper } from '../context.js';
import { keysOfRanks64, uniformRanks } from '../ids.js';
import { median } from '../timing.js';

const FEATURES = 26;
const DIM = 16;
const FILL = 65_536;

/** Progress steps of these cases. */
export function backendSteps(ctx: Pick<PerfContext, 'size'>): number {
  return 1 + (ctx.size === 'full' ? 1 : 0);
}

/** A Variable of `vocab` int64 keys (rank k's key) and a step over `batch` x 26 uniform ids. */
function model(ctx: PerfContext, vocab: number, batch: number) {
  const { de, tf } = ctx;
  const v = new de.Variable({ name: `perf_train_${vocab}`, keyDtype: 'int64', dim: DIM, initCapacity: vocab });
  const vals = new Float32Array(FILL * DIM);
  for (let i = 0; i < vals.length; i++) vals[i] = ((i * 31) % 97) / 970;
  for (let o = 0; o < vocab; o += FILL) {
    const c = Math.min(FILL, vocab - o);
    v.upsert(de.ids(keysOfRanks64(Int32Array.from({ length: c }, (_, i) => o + i))), vals.subarray(0, c * DIM));
  }
  const x = de.ids(keysOfRanks64(uniformRanks(vocab, batch * FEATURES, 17)), [batch, FEATURES]);
  const opt = new de.optimizers.Adagrad({ learningRate: 0.05 });
  const step = () => de.train.step(opt, () => tf.sum(tf.square(de.embeddingLookup(v, x))) as tfjs.Scalar);
  return { v, step };
}

/** Seconds per step on `backend` (CPU time where the context has it), after two warm-up steps. */
async function stepOn(ctx: PerfContext, backend: string, step: () => number): Promise<number> {
  await ctx.tf.setBackend(backend);
  step();
  step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start < SIZES[ctx.size].minMs * 3 && times.length < 30)) {
    const t0 = clock(ctx);
    step();
    times.push(clock(ctx) - t0);
  }
  return median(times);
}

export async function trainBackends(ctx: PerfContext, st: Stepper): Promise<void> {
  const { tf } = ctx;
  const S = SIZES[ctx.size];
  const vocab = ctx.size === 'full' ? 1_000_000 : 100_000;
  const batch = S.trainBatch;
  const hasWasm = tf.findBackendFactory('wasm') !== null;
  const name = (v: number) =>
    `train step (issue #18 case): ${batch} x ${FEATURES} int64 ids, dim ${DIM}, ${v.toLocaleString('en-US')} keys, Adagrad, sum(square(lookup))`;
  await st.next(
    `training step on the cpu${hasWasm ? ' and wasm' : ''} tfjs backends, ${vocab.toLocaleString('en-US')} keys`,
  );
  gc();
  const m = model(ctx, vocab, batch);
  let bestBackend = 'cpu';
  try {
    const cpu = await stepOn(ctx, 'cpu', m.step);
    if (!hasWasm) {
      ctx.emit({
        kind: 'note',
        section: 'train',
        text: 'tfjs-backend-wasm is not registered here: the training step ran on the cpu backend only',
      });
      ctx.emit({
        kind: 'row',
        row: row(
          'train',
          `${name(vocab)}, cpu backend`,
          1 / cpu,
          'steps/s',
          undefined,
          undefined,
          { deep: 1 },
          { note: `${(cpu * 1000).toFixed(1)} ms/step` },
        ),
      });
    } else {
      const wasm = await stepOn(ctx, 'wasm', m.step);
      if (wasm < cpu) bestBackend = 'wasm';
      ctx.emit({
        kind: 'row',
        row: row(
          'train',
          `${name(vocab)}, tfjs wasm backend vs cpu backend`,
          1 / wasm,
          'steps/s',
          1 / cpu,
          'the same step on the cpu backend',
          { deep: 1 },
          {
            note: `wasm ${(wasm * 1000).toFixed(1)} ms/step, cpu ${(cpu * 1000).toFixed(1)} ms/step (steps timed per backend, one after the other)`,
          },
        ),
      });
    }
  } finally {
    m.v.dispose();
    await tf.setBackend('cpu');
  }
  if (ctx.size !== 'full') return;
  // scale: the same step on a 1e7-key table (about 850 MB of rows and slots), on the faster backend
  const big = 10_000_000;
  await st.next(`training step at ${big.toLocaleString('en-US')} keys`);
  gc();
  const b = model(ctx, big, batch);
  try {
    const sec = await stepOn(ctx, bestBackend, b.step);
    ctx.emit({
      kind: 'row',
      row: row(
        'train',
        `${name(big)}, ${bestBackend} backend`,
        1 / sec,
        'steps/s',
        undefined,
        undefined,
        { deep: 1, keys: big },
        {
          note: `${(sec * 1000).toFixed(1)} ms/step; table ${(b.v.stats().bytes / 2 ** 20).toFixed(0)} MiB before its optimizer slots`,
        },
      ),
    });
  } finally {
    b.v.dispose();
    await tf.setBackend('cpu');
  }
}
