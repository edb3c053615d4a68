// de.optimizers: one optimizer per file.
export { Adagrad } from './adagrad.js';
export type { AdagradOptions } from './adagrad.js';
export { Adam } from './adam.js';
export type { AdamOptions } from './adam.js';
export { Ftrl } from './ftrl.js';
export type { FtrlOptions } from './ftrl.js';
export { Momentum } from './momentum.js';
export type { MomentumOptions } from './momentum.js';
export { Optimizer } from './optimizer.js';
export type { OptimizerState, SlotSpec } from './optimizer.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions } from './rmsprop.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
