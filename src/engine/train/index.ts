// de.train and de.optimizers: the training half of the engine's public face.
export { globalStep, setGlobalStep, step } from './step.js';
export type { StepGradients, StepOptions } from './step.js';
