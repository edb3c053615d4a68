// Vitest runs the engine from its TypeScript sources, but pool workers are real threads that
// cannot load TypeScript: point pools at the built entry (`npm run build:lib` builds dist/lib).
import { setDefaultWorkerUrl } from './src/engine/pool/spawn.js';

setDefaultWorkerUrl(new URL('./dist/lib/pool/node-entry.js', import.meta.url));
