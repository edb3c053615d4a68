// The machine the figures come from: cores, SIMD, cross-origin isolation, the WebGL renderer.
import type * as Engine from '../engine/index.js';

/** Facts about the machine the figures come from. */
export interface MachineFacts {
  cores: number | null;
  simd: boolean;
  crossOriginIsolated: boolean;
  webglRenderer: string;
  userAgent: string;
}

/** Reads the machine facts shown beside the results (works in a page, a worker, or Node). */
export function machineFacts(de: typeof Engine): MachineFacts {
  const g = globalThis as {
    navigator?: { hardwareConcurrency?: number; userAgent?: string };
    OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): WebGLRenderingContext | null };
    crossOriginIsolated?: boolean;
  };
  let webglRenderer = 'none (no WebGL here)';
  try {
    if (g.OffscreenCanvas) {
      const c = new g.OffscreenCanvas(1, 1);
      const gl = c.getContext('webgl2') ?? c.getContext('webgl');
      if (gl) {
        const ext = gl.getExtension('WEBGL_debug_renderer_info');
        webglRenderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
        gl.getExtension('WEBGL_lose_context')?.loseContext();
      }
    }
  } catch (e) {
    webglRenderer = `unavailable (${e instanceof Error ? e.message : String(e)})`;
  }
  return {
    cores: g.navigator?.hardwareConcurrency ?? null,
    simd: de.backendInfo().wasm === 'simd',
    crossOriginIsolated: g.crossOriginIsolated === true,
    webglRenderer,
    userAgent: g.navigator?.userAgent ?? 'unknown',
  };
}
