// The Virtual TPU simulator for the page: its settings and batches, what it draws, and the
// simulator itself (it drives de.tpu's VirtualTPUStrategy phase by phase).
export * from './config.js';
export { TpuSim } from './sim.js';
export type * from './view.js';
