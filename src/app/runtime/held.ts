// What the engine worker holds, as the page last heard it: the keys per table (updated on every
// worker reply, so a change that would empty a table is asked about even while training plays)
// and the tables the page asked to empty. Plain module state, not store state: it changes per
// step. The store's tableSizes (for display) is refreshed from here at most a few times a second.
import type { FreshRequest } from '../../playground/protocol.js';

export const heldKeys: Record<string, number> = {};

/** Recent requests, oldest first (the worker applies those it has not seen, in order). */
const fresh: FreshRequest[] = [];
let nextId = 1;

/** Records the keys the worker reported (replacing those of the tables it named). */
export function noteSizes(sizes: Readonly<Record<string, number>>): void {
  Object.assign(heldKeys, sizes);
}

/** Asks the worker to recreate these tables empty on its next sync / configure. */
export function markFresh(names: string[]): void {
  if (names.length === 0) return;
  fresh.push({ id: nextId++, names: [...names] });
  if (fresh.length > 16) fresh.shift();
  for (const n of names) heldKeys[n] = 0;
}

/** The recent requests (each id is applied once by the worker). */
export function freshRequests(): FreshRequest[] {
  return fresh.slice();
}
