// Choosing the gather path: WASM, or WebGL when it is there and faster on this machine.
//
// 'auto' is bounded: the tfjs backend start and the calibration share one time budget, every
// wait on the GPU (tf.ready(), a lookup's read-back) is raced against it, and when the budget
// runs out the answer is WASM with the step that did not finish in the reason. (A GPU
// read-back cannot be cancelled; a late one is disposed when it lands, and the calibration
// stops there.) Before this, a mirror upload that took minutes on a software renderer left
// chooseGather('auto') pending for good.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { setGatherChoice } from '../info.js';
import type { HashTable } from '../table.js';
import { Variable } from '../variable.js';
import { GpuGather } from './mirror.js';

/** What {@link chooseGather} decided, with its measurements. */
export interface GatherChoice {
  gather: 'wasm' | 'webgl';
  reason: string;
  /** Milliseconds per batch measured for each path (absent when not measured). */
  wasmMs?: number;
  webglMs?: number;
}

/** Options of {@link chooseGather}. */
export interface ChooseGatherOptions {
  /**
   * Milliseconds 'auto' may spend in all (waiting for the tfjs backend, the mirror's upload,
   * shader compiles and the timed lookups). When it runs out, the choice is WASM and the reason
   * says which step did not finish. Default {@link DEFAULT_GATHER_BUDGET_MS}.
   */
  budgetMs?: number;
}

/** The default time budget of chooseGather('auto'), in milliseconds. */
export const DEFAULT_GATHER_BUDGET_MS = 4000;

/** The calibration's sizes: a table of KEYS rows of DIM floats, lookups of BATCH ids. */
const KEYS = 65536;
const DIM = 16;
const BATCH = 4096;
/** Timed lookups per path (fewer for WebGL when the budget would not hold them). */
const REPS = 5;

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/** A step of 'auto' that did not finish within the budget. */
class OutOfBudget extends Error {
  constructor(readonly step: string) {
    super(step);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Picks the gather path and records it in `de.backendInfo()`. 'wasm' and 'webgl' force one
 * (webgl only where the tfjs backend is webgl); 'auto' runs a short calibration (batch 4096,
 * dim 16, a 65536-key table) and takes the faster, including the GPU read-back the caller
 * avoids only when its model stays on the GPU. 'auto' always resolves within about
 * `budgetMs` (default 4 s): a backend that does not become ready, a WebGL error, a result that
 * differs from WASM or a GPU too slow to finish in time all choose WASM, with the reason.
 *
 * @example
 * const c = await de.gpu.chooseGather('auto');
 * de.backendInfo().gatherReason; // e.g. "WebGL missing: the tfjs backend is 'cpu' ..."
 * await de.gpu.chooseGather('auto', { budgetMs: 1500 }); // a tighter budget
 */
export async function chooseGather(
  mode: 'wasm' | 'webgl' | 'auto' = 'auto',
  options: ChooseGatherOptions = {},
): Promise<GatherChoice> {
  if (mode !== 'wasm' && mode !== 'webgl' && mode !== 'auto') {
    throw new InvalidArgumentError(`chooseGather: mode must be 'wasm', 'webgl' or 'auto', got ${show(mode)}.`);
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `chooseGather: options must be an object like { budgetMs: 4000 }, got ${show(options)}.`,
    );
  }
  const budgetMs = options.budgetMs ?? DEFAULT_GATHER_BUDGET_MS;
  if (typeof budgetMs !== 'number' || !Number.isFinite(budgetMs) || budgetMs <= 0) {
    throw new InvalidArgumentError(
      `chooseGather: budgetMs must be a positive number of milliseconds, got ${show(options.budgetMs)}.`,
    );
  }
  const deadline = now() + budgetMs;
  let choice: GatherChoice;
  if (mode === 'wasm') choice = { gather: 'wasm', reason: 'WASM gather, as requested' };
  else {
    let backend: string;
    try {
      // tf.ready() resolves once the backend tfjs is starting (or switching to) is up; a
      // backend that never comes up must not hold the choice.
      await within(tf.ready(), deadline, 'the tfjs backend to become ready (tf.ready())');
      backend = tf.getBackend();
    } catch (e) {
      const why =
        e instanceof OutOfBudget
          ? `WebGL not used: ${budgetText(budgetMs)} ran out waiting for ${e.step}`
          : `WebGL missing: the tfjs backend failed to start (${message(e)})`;
      if (mode === 'webgl') throw new InvalidArgumentError(`chooseGather('webgl'): ${why}.`);
      choice = { gather: 'wasm', reason: `${why}, so lookups gather in WASM` };
      setGatherChoice(choice.gather, choice.reason);
      return choice;
    }
    if (backend === 'webgl' && tf.findBackend('webgl') == null) {
      // tf.setBackend('webgl') returned false: the name is set, the backend never started
      const why = 'WebGL missing: the tfjs WebGL backend failed to start (no WebGL context could be created)';
      if (mode === 'webgl') throw new InvalidArgumentError(`chooseGather('webgl'): ${why}.`);
      choice = { gather: 'wasm', reason: `${why}, so lookups gather in WASM` };
    } else if (backend !== 'webgl') {
      const why = `WebGL missing: the tfjs backend is '${backend}' (no WebGL context here: Node, no GPU, or a Safari worker), so lookups gather in WASM`;
      if (mode === 'webgl') throw new InvalidArgumentError(`chooseGather('webgl'): ${why}.`);
      choice = { gather: 'wasm', reason: why };
    } else if (mode === 'webgl') choice = { gather: 'webgl', reason: 'WebGL gather, as requested' };
    else choice = await calibrate(deadline, budgetMs);
  }
  setGatherChoice(choice.gather, choice.reason);
  return choice;
}

function budgetText(budgetMs: number): string {
  return `the calibration budget of ${budgetMs >= 1000 ? `${budgetMs / 1000} s` : `${budgetMs} ms`}`;
}

/** `p`, or an OutOfBudget rejection naming `step` if the deadline passes first. */
async function within<T>(p: Promise<T>, deadline: number, step: string): Promise<T> {
  const left = deadline - now();
  if (left <= 0) throw new OutOfBudget(step);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OutOfBudget(step)), left);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws OutOfBudget if the deadline has passed (between steps that run synchronously). */
function check(deadline: number, step: string): void {
  if (now() > deadline) throw new OutOfBudget(step);
}

/** The WebGL renderer tfjs draws with ("SwiftShader" is a CPU emulation), or '' if it cannot be read. */
function renderer(): string {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name: unknown = gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

async function calibrate(deadline: number, budgetMs: number): Promise<GatherChoice> {
  const gpu = renderer();
  const on = gpu ? ` (renderer: ${gpu})` : '';
  const wasmOnly = (why: string): GatherChoice => ({ gather: 'wasm', reason: `${why}, so lookups gather in WASM` });
  let v: Variable | undefined;
  let g: GpuGather | undefined;
  let step = 'the WASM side of the calibration';
  try {
    v = new Variable({ name: '__calibration', keyDtype: 'int32', dim: DIM, placement: 'local', initCapacity: KEYS });
    const table = v.shards[0] as HashTable;
    table.upsert(
      Int32Array.from({ length: KEYS }, (_, i) => i),
      Float32Array.from({ length: KEYS * DIM }, (_, i) => (i % 97) / 97),
    );
    const ids = Int32Array.from({ length: BATCH }, (_, i) => (i * 7919) % KEYS);
    const want = new Float32Array(BATCH * DIM);
    table.gather(ids, want);
    const out = new Float32Array(BATCH * DIM);
    let t0 = now();
    for (let r = 0; r < REPS; r++) {
      table.gather(ids, out);
      tf.tensor2d(out, [BATCH, DIM]).dispose(); // the WASM path hands tfjs a tensor too
    }
    const wasmMs = (now() - t0) / REPS;
    check(deadline, step);

    // WebGL: the first lookup pays the mirror's upload, the shader compiles and the first read-back.
    step = `the first WebGL lookup (the ${KEYS}-row mirror upload, shader compiles and read-back)${on}`;
    t0 = now();
    g = new GpuGather(v);
    const idList = Array.from(ids);
    const lookupOnce = async (what: string): Promise<Float32Array> => {
      const t = (g as GpuGather).lookup(idList);
      const read = t.data() as Promise<Float32Array>;
      // disposed when the read-back lands, even one that lands after the budget ran out
      read.then(
        () => t.dispose(),
        () => t.dispose(),
      );
      return within(read, deadline, what);
    };
    const first = await lookupOnce(step);
    const firstMs = now() - t0;
    for (let i = 0; i < want.length; i++) {
      // float32 textures read back exactly; 2e-3 leaves room for a half-float GPU
      if (!(Math.abs(first[i] - want[i]) <= 2e-3 * Math.max(1, Math.abs(want[i])))) {
        return wasmOnly(
          `WebGL unusable${on}: the GPU gather read ${first[i]} at element ${i} where WASM reads ${want[i]}`,
        );
      }
    }
    // Timed lookups: as many as fit the budget (at least one, at most REPS).
    step = `a timed WebGL lookup${on}`;
    let reps = 0;
    t0 = now();
    let last = 0;
    while (reps < REPS && (reps === 0 || now() + last < deadline)) {
      const r0 = now();
      await lookupOnce(step);
      last = now() - r0;
      reps++;
    }
    const webglMs = (now() - t0) / reps;
    const gather = webglMs < wasmMs ? 'webgl' : 'wasm';
    return {
      gather,
      wasmMs,
      webglMs,
      reason:
        `calibrated on this machine (batch ${BATCH}, dim ${DIM}): WASM ${wasmMs.toFixed(2)} ms, ` +
        `WebGL ${webglMs.toFixed(2)} ms per batch; ${gather === 'webgl' ? 'WebGL' : 'WASM'} is faster` +
        ` (${REPS} WASM and ${reps} WebGL runs after a first WebGL lookup of ${firstMs.toFixed(0)} ms${on})`,
    };
  } catch (e) {
    if (e instanceof OutOfBudget) {
      return wasmOnly(`WebGL not used: ${budgetText(budgetMs)} ran out waiting for ${e.step}`);
    }
    return wasmOnly(`WebGL failed during ${step}: ${message(e)}`);
  } finally {
    g?.dispose();
    v?.dispose();
  }
}
