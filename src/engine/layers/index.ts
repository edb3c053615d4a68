// The layers namespace: `de.layers.Embedding`, `SquashedEmbedding`, `FieldWiseEmbedding`, `Lookup`.
export type { LayerWeight, ShapeLike } from './base.js';
export { Layer } from './base.js';
export type { EmbeddingConfig, EmbeddingOptions, LayerCombiner } from './embedding.js';
export { Embedding } from './embedding.js';
export type { FieldWiseEmbeddingOptions, SlotMapFn } from './fieldwise.js';
export { FieldWiseEmbedding } from './fieldwise.js';
export { SquashedEmbedding } from './squashed.js';
export type { DynamicShape, LookupConfig, LookupOptions } from './tensorx-lookup.js';
export { Lookup, LookupView } from './tensorx-lookup.js';
