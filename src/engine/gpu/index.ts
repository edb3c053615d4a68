// The WebGL gather path (tfjs webgl backend) and the choice between it and WASM.
export type { GatherChoice } from './auto.js';
export { chooseGather } from './auto.js';
export { GpuGather } from './mirror.js';
