// Starting the engine for the app: load the WASM kernels and tfjs, report their status to
// the store, and expose the engine module as window.dynemb for the console and tests.
import * as tf from '@tensorflow/tfjs';
import * as de from '../engine/index.js';
import { usePlayground } from './store.js';

declare global {
  interface Window {
    dynemb: typeof de;
    playground: {
      /** A read-only snapshot of the store: state and actions. */
      getState: () => Readonly<ReturnType<typeof usePlayground.getState>>;
    };
  }
}

export async function startEngine(): Promise<void> {
  window.dynemb = de;
  window.playground = { getState: () => Object.freeze({ ...usePlayground.getState() }) };
  const { setEngine } = usePlayground.getState();
  try {
    await de.ready();
    await tf.ready();
    const info = de.backendInfo();
    setEngine({
      phase: 'ready',
      wasm: info.wasm,
      crossOriginIsolated: info.crossOriginIsolated,
      tfjsBackend: tf.getBackend(),
      gather: info.gather,
      gatherReason: info.gatherReason,
    });
  } catch (err) {
    setEngine({ phase: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}
