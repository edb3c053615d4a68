// dynemb — the engine's public face (see shared/API.md). Nothing but re-exports.

export { DynembError, InvalidArgumentError, OutOfMemoryError, RuntimeError } from './errors.js';
export type { BackendInfo } from './info.js';
export { backendInfo } from './info.js';
export { mulberry32 } from './random.js';
export { gatherRows, rowNorms } from './rows.js';
export type { HashTableOptions, KeyDtype, Keys, TableStats } from './table.js';
export { HashTable, hashKeyString } from './table.js';
export * as gpu from './gpu/index.js';
export * as pool from './pool/index.js';
export * as tpu from './tpu/index.js';
export { VERSION } from './version.js';
export type { ReadyOptions, WasmFlavour } from './wasm.js';
export { hostSupportsSimd, ready } from './wasm.js';
export * as initializers from './initializers.js';
export * as layers from './layers/index.js';
export type { SparseCombiner, TrainableWrapper } from './lookup.js';
export { embeddingLookup, embeddingLookupSparse, embeddingLookupUnique, safeEmbeddingLookupSparse } from './lookup.js';
export type {
  DropReason,
  FeatureBackend,
  FeatureBatch,
  FeatureCombiner,
  FeatureInputKind,
  FeatureLookupOptions,
  FeatureLookupResult,
  FeatureOp,
  FeatureSpec,
  FeatureTable,
  IdProvenance,
} from './features.js';
export { featureLookup, featureLookupAsync, featureOp } from './features.js';
export type { Id, IdsLike, NestedIds } from './tensor.js';
export { Ids, ids, RaggedTensor, SparseTensor } from './tensor.js';
export type { Partitioner, VariableOptions, VariableStats } from './variable.js';
export { Variable } from './variable.js';
export * as checkpoint from './checkpoint/index.js';
export * as interop from './checkpoint/interop.js';
export * as optimizers from './train/optimizers/index.js';
export * as train from './train/index.js';
export { FrequencyRestrictPolicy, policyOf, RestrictPolicy, TimestampRestrictPolicy } from './train/restrict.js';
