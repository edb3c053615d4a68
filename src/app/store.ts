// The app's one zustand store, in slices. Components read with selectors; engine calls go
// through actions beside the state. No class instances or Maps live in state.
import { create } from 'zustand';

export type EngineStatus =
  | { phase: 'loading' }
  | { phase: 'error'; message: string }
  | {
      phase: 'ready';
      wasm: 'simd' | 'scalar';
      crossOriginIsolated: boolean;
      workers: number;
      tfjsBackend: string;
      gather: 'wasm' | 'webgl';
      gatherReason: string;
    };

export interface EngineSlice {
  engine: EngineStatus;
  setEngine(status: EngineStatus): void;
}

export interface LayoutSlice {
  /** The panel expanded to full width, or null for the grid. */
  focused: PanelId | null;
  focus(panel: PanelId | null): void;
}

export type PanelId = 'tables' | 'features' | 'batch' | 'lookup' | 'charts' | 'tpu' | 'code' | 'performance';

export type PlaygroundState = EngineSlice & LayoutSlice;

export const usePlayground = create<PlaygroundState>()((set) => ({
  engine: { phase: 'loading' },
  setEngine: (engine) => set({ engine }),
  focused: null,
  focus: (focused) => set({ focused }),
}));
