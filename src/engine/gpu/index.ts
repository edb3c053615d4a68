// The WebGL gather path (tfjs webgl backend) and the choice between it and WASM.
export type { ChooseGatherOptions, GatherChoice } from './auto.js';
export { chooseGather, DEFAULT_GATHER_BUDGET_MS } from './auto.js';
export { GpuGather } from './mirror.js';
