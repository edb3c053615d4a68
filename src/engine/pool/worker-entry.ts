// A module Web Worker entry for callers of the built library (dist/lib) with no bundler: it
// serves a ShardHost to the pool. dist/lib's tfjs switch (vendor/tf.js) awaits at top level,
// and a module worker dispatches messages while its imports are still loading, so the pool's
// first calls are held until the host listens, then replayed in order.
//
//   const spawn = () => de.pool.webWorkerHandle(new Worker(new URL('./pool/worker-entry.js', libUrl), { type: 'module' }));
//   const pool = await de.pool.WorkerPool.create({ spawn });
import type { Endpoint } from 'comlink';

const held: unknown[] = [];
const hold = (e: MessageEvent): void => {
  held.push(e.data);
};
self.addEventListener('message', hold);
const { serveShardHost } = await import('./host.js');
serveShardHost(self as unknown as Endpoint);
self.removeEventListener('message', hold);
for (const data of held) self.dispatchEvent(new MessageEvent('message', { data }));

export {};
