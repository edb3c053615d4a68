// What the engine is running on, for the app header and for users' bug reports.
import { activeFlavour } from './wasm.js';

/** The engine's backends, as `de.backendInfo()` reports them. */
export interface BackendInfo {
  /** Which kernel build is active: 'simd' where WebAssembly SIMD exists, else 'scalar'. */
  wasm: 'simd' | 'scalar';
  /** Where lookups gather rows: the WASM kernels, or the tfjs WebGL backend. */
  gather: 'wasm' | 'webgl';
  /** Why `gather` is what it is. */
  gatherReason: string;
  /** Threads running the engine: 1 (the calling thread) until a worker pool is started. */
  threads: number;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer available). */
  crossOriginIsolated: boolean;
}

let poolThreads = 0;
let gatherChoice: { gather: 'wasm' | 'webgl'; reason: string } | undefined;

/** Records where lookups gather and why (set by the GPU path's `chooseGather`). */
export function setGatherChoice(gather: 'wasm' | 'webgl', reason: string): void {
  gatherChoice = { gather, reason };
}

/** Records how many pool workers run the engine (set by the worker pool). */
export function setPoolThreads(n: number): void {
  poolThreads = n;
}

/**
 * Reports the active backends. Call after `await de.ready()`.
 *
 * @example
 * await de.ready();
 * console.log(de.backendInfo()); // { wasm: 'simd', gather: 'wasm', threads: 1, crossOriginIsolated: false, ... }
 */
export function backendInfo(): BackendInfo {
  const flavour = activeFlavour();
  if (!flavour) throw new Error('backendInfo() was called before the engine was loaded: await de.ready() first.');
  const g = globalThis as { crossOriginIsolated?: boolean };
  return {
    wasm: flavour,
    gather: gatherChoice?.gather ?? 'wasm',
    gatherReason:
      gatherChoice?.reason ?? "WASM gather (the default; call de.gpu.chooseGather('auto') to calibrate WebGL)",
    threads: poolThreads > 0 ? poolThreads : 1,
    crossOriginIsolated: g.crossOriginIsolated === true,
  };
}
