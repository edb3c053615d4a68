import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';

function Badge({ label, value, ok, title }: { label: string; value: string; ok: boolean | null; title: string }) {
  return (
    <span className={`badge ${ok === null ? 'neutral' : ok ? 'ok' : 'warn'}`} title={title}>
      <span className="badge-label">{label}</span> <span className="badge-value">{value}</span>
    </span>
  );
}

/** The product name and the live engine status. */
export function Header() {
  const engine = usePlayground(useShallow((s) => s.engine));
  const appWorkers = usePlayground(useShallow((s) => s.appWorkers));
  const running = Object.entries(appWorkers)
    .filter(([, n]) => n > 0)
    .map(([role, n]) => (n === 1 ? role : `${role} (${n})`));
  const workerTotal = Object.values(appWorkers).reduce((a, n) => a + n, 0);
  return (
    <header className="app-header">
      <h1>
        Dynamic Embedding Playground{' '}
        <span className="subtitle">hash-table embeddings, TFRA style, in your browser</span>
      </h1>
      <output className="engine-status" aria-live="polite" aria-label="Engine status">
        {engine.phase === 'loading' && <span className="badge neutral">Loading engine…</span>}
        {engine.phase === 'error' && <span className="badge warn">Engine failed to load: {engine.message}</span>}
        {engine.phase === 'ready' && (
          <>
            <Badge
              label="WASM"
              value={engine.wasm === 'simd' ? 'SIMD' : 'scalar'}
              ok={engine.wasm === 'simd'}
              title={
                engine.wasm === 'simd'
                  ? 'The hash-table kernels run the WebAssembly SIMD build (v128).'
                  : 'This browser lacks WebAssembly SIMD; the scalar build runs (same results, slower).'
              }
            />
            <Badge
              label="Isolation"
              value={engine.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated'}
              ok={engine.crossOriginIsolated}
              title={
                engine.crossOriginIsolated
                  ? 'COOP/COEP are set: SharedArrayBuffer is available for zero-copy worker calls.'
                  : 'The page is not cross-origin isolated: workers fall back to transferable buffers.'
              }
            />
            <Badge
              label="Workers"
              value={String(workerTotal)}
              ok={null}
              title={
                running.length === 0
                  ? 'No Web Worker of the app is running yet.'
                  : `Web Workers running the engine off the main thread: ${running.join('; ')}.`
              }
            />
            <Badge
              label="tfjs"
              value={engine.tfjsBackend}
              ok={null}
              title={`The TensorFlow.js backend used for dense math. Gather: ${engine.gatherReason}.`}
            />
          </>
        )}
      </output>
    </header>
  );
}
