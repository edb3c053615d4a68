// de.interop: NumPy .npy files and a TFRA Python script.
export { npyStem, toNpy } from './npy.js';
export { toTfraPython } from './tfra.js';
export type { TfraExportConfig, TfraFeature } from './tfra.js';
