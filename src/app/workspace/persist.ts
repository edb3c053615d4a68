// Keeping the workspace: autosaved to IndexedDB (so a reload loses nothing) and mirrored in the
// URL hash (so a link reproduces it). What comes back from either is validated like any input.
import { usePlayground } from '../store.js';
import {
  decodeWorkspace,
  encodeWorkspace,
  validateWorkspace,
  type Workspace,
  WorkspaceError,
} from '../../playground/workspace/index.js';

const DB = 'dynemb-playground';
const STORE = 'workspace';
const KEY = 'current';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Saves the workspace as JSON text (so what comes back is parsed and validated, never trusted). */
export function saveWorkspace(w: Workspace): Promise<unknown> {
  return withStore('readwrite', (s) => s.put(JSON.stringify(w), KEY));
}

/** Keeps another value (structured-cloned, e.g. typed arrays) beside the workspace. */
export function saveValue(key: string, value: unknown): Promise<unknown> {
  return withStore('readwrite', (s) => s.put(value, key));
}

export function loadValue(key: string): Promise<unknown> {
  return withStore<unknown>('readonly', (s) => s.get(key));
}

export function deleteValue(key: string): Promise<unknown> {
  return withStore('readwrite', (s) => s.delete(key));
}

export async function loadSavedWorkspace(): Promise<Workspace | null> {
  const raw = await withStore<unknown>('readonly', (s) => s.get(KEY));
  if (typeof raw !== 'string') return null;
  return validateWorkspace(JSON.parse(raw));
}

/**
 * Start-up: a workspace in the URL wins (a shared link), then the autosaved one, then the
 * defaults. A bad link or a bad save shows a message and falls back to the defaults. Afterwards
 * every change is saved (debounced) and written into the URL hash.
 */
export async function startPersistence(): Promise<void> {
  const store = usePlayground.getState();
  let fromUrl: Workspace | null = null;
  let urlFailed = false;
  try {
    fromUrl = decodeWorkspace(location.hash);
  } catch (e) {
    urlFailed = true;
    store.setNotice({
      kind: 'error',
      text: `This link's settings could not be used, so the defaults are loaded. ${e instanceof WorkspaceError ? e.message : 'The link is malformed.'}`,
    });
  }
  if (fromUrl) store.loadWorkspace(fromUrl, 'url');
  else if (!urlFailed) {
    try {
      const saved = await loadSavedWorkspace();
      if (saved) store.loadWorkspace(saved, 'saved');
    } catch (e) {
      store.setNotice({
        kind: 'error',
        text: `The saved workspace could not be read, so the defaults are loaded. ${e instanceof Error ? e.message : ''}`,
      });
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = (w: Workspace) => {
    history.replaceState(null, '', encodeWorkspace(w));
    saveWorkspace(w).catch((e: unknown) =>
      usePlayground.getState().setNotice({
        kind: 'error',
        text: `Autosave failed: ${e instanceof Error ? e.message : String(e)}. Your changes stay in the URL.`,
      }),
    );
  };
  write(usePlayground.getState().workspace);
  usePlayground.subscribe((s, prev) => {
    if (s.workspace === prev.workspace) return;
    clearTimeout(timer);
    timer = setTimeout(() => write(usePlayground.getState().workspace), 250);
  });
  window.addEventListener('pagehide', () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      write(usePlayground.getState().workspace);
    }
  });
}
