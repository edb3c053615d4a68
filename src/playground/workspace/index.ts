// The workspace's public face for the page: its schema (types, choices, limits, defaults),
// validation, URL codec, placement rules, which changes empty a table, and the presets. Pure data
// and functions: no engine.
export * from './discard.js';
export * from './placement.js';
export * from './presets.js';
export * from './schema.js';
export * from './url.js';
export * from './validate.js';
export * from './requests.js';
