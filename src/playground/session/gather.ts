// Which gather path the inspector's lookups take for a table's setting: decided once per session
// by de.gpu.chooseGather ('auto' calibrates WASM against WebGL here; 'webgl' needs the tfjs WebGL
// backend), and never waited on for longer than AUTO_GATHER_TIMEOUT_MS.
import * as de from '../../engine/index.js';
import type { GatherInfo, WorkerTable } from '../protocol.js';

/** How long 'auto' may calibrate before the table reads in WASM (and says so). */
export const AUTO_GATHER_TIMEOUT_MS = 20_000;

/**
 * The gather path of each setting, chosen once.
 *
 * @example
 * const gather = new GatherChoices();
 * (await gather.choose('wasm')).used; // 'wasm'
 */
export class GatherChoices {
  private readonly chosen = new Map<WorkerTable['gather'], Promise<GatherInfo>>();

  choose(asked: WorkerTable['gather']): Promise<GatherInfo> {
    let c = this.chosen.get(asked);
    if (!c) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chosen = de.gpu.chooseGather(asked).then(
        (r): GatherInfo => ({
          asked,
          used: r.gather,
          reason: r.reason,
          fellBack: asked === 'webgl' && r.gather !== 'webgl',
        }),
        (e: unknown): GatherInfo => ({
          asked,
          used: 'wasm',
          reason: e instanceof Error ? e.message : String(e),
          fellBack: true,
        }),
      );
      const late = new Promise<GatherInfo>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              asked,
              used: 'wasm',
              reason: `the calibration (de.gpu.chooseGather('${asked}')) had not finished after ${AUTO_GATHER_TIMEOUT_MS / 1000} s in this browser, so lookups gather in WASM`,
              fellBack: true,
            }),
          AUTO_GATHER_TIMEOUT_MS,
        );
      });
      c = Promise.race([chosen, late]).finally(() => clearTimeout(timer));
      this.chosen.set(asked, c);
    }
    return c;
  }
}
