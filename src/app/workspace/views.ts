// Keeps the Virtual TPU panel's and the live demo's settings and the workspace in step, both ways:
// a workspace that arrives (a shared URL, the autosave, a preset) reconfigures the two views, and
// a change made in a view is written into the workspace (so the URL and the autosave carry it).
import type { TrainerConfig } from '../../playground/demo/config.js';
import { syncPerfSettings } from '../perf/sync.js';
import { usePlayground } from '../store.js';
import type { TpuConfig } from '../../playground/tpu/index.js';
import type { DemoSpec, TpuSpec } from '../../playground/workspace/index.js';

type State = ReturnType<typeof usePlayground.getState>;

export function tpuSpecOf(c: TpuConfig): TpuSpec {
  return { numCores: c.numCores, sharding: c.sharding, perCore: c.perCore, execution: c.execution };
}

export function demoSpecOf(c: TrainerConfig, trainUntil: number, user: number): DemoSpec {
  return {
    seed: c.world.seed,
    users: c.world.users,
    initialItems: c.world.initialItems,
    newItemsPerStep: c.world.newItemsPerStep,
    maxItems: c.world.maxItems,
    itemTableLimit: c.itemTableLimit,
    dim: c.dim,
    learningRate: c.learningRate,
    trainUntil,
    user,
  };
}

/** The trainer config a demo spec asks for (fields the spec does not hold are kept). */
export function trainerConfigOf(base: TrainerConfig, d: DemoSpec): TrainerConfig {
  return {
    ...base,
    world: {
      ...base.world,
      seed: d.seed,
      users: d.users,
      initialItems: d.initialItems,
      newItemsPerStep: d.newItemsPerStep,
      maxItems: d.maxItems,
    },
    itemTableLimit: d.itemTableLimit,
    dim: d.dim,
    learningRate: d.learningRate,
  };
}

const same = (a: object, b: object) => JSON.stringify(a) === JSON.stringify(b);

function toViews(s: State): void {
  const tpu = s.workspace.tpu;
  if (!same(tpu, tpuSpecOf(s.tpuConfig))) s.tpuConfigure({ ...tpu });
  const demo = s.workspace.demo;
  if (!same(demo, demoSpecOf(s.demoConfig, s.demoTarget, s.demoUser))) void s.demoApply(demo);
}

function toWorkspace(s: State): void {
  const tpu = tpuSpecOf(s.tpuConfig);
  const demo = demoSpecOf(s.demoConfig, s.demoTarget, s.demoUser);
  if (same(tpu, s.workspace.tpu) && same(demo, s.workspace.demo)) return;
  usePlayground.setState({ workspace: { ...s.workspace, tpu, demo } });
}

/** Starts the two-way sync (and the Performance page's); call once, before the workspace is restored. */
export function syncViewSettings(): void {
  // The Performance page's settings too.
  syncPerfSettings();
  usePlayground.subscribe((s, prev) => {
    if (s.workspace.tpu !== prev.workspace.tpu || s.workspace.demo !== prev.workspace.demo) toViews(s);
    else if (
      s.tpuConfig !== prev.tpuConfig ||
      s.demoConfig !== prev.demoConfig ||
      s.demoTarget !== prev.demoTarget ||
      s.demoUser !== prev.demoUser
    ) {
      toWorkspace(s);
    }
  });
}
