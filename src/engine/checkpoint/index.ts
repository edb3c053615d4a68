// de.checkpoint and de.interop.
export { restore, save } from './checkpoint.js';
export type { Checkpointable } from './checkpoint.js';
