// The workspace in a URL: `#w=<base64url(JSON)>`, read back through validateWorkspace so a
// hostile or cut-short link is refused with a reason, never evaluated.
import { validateWorkspace, WorkspaceError } from './validate.js';
import type { Workspace } from './schema.js';

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new WorkspaceError(['the link holds characters that are not base64url']);
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The URL hash for a workspace: `#w=<base64url(JSON)>`. */
export function encodeWorkspace(w: Workspace): string {
  return `#w=${toBase64Url(new TextEncoder().encode(JSON.stringify(w)))}`;
}

/** Largest hash the app reads (a hostile link cannot make it parse megabytes). */
export const MAX_HASH = 200_000;

/**
 * Reads a workspace from a URL hash. Returns null when the hash holds none; throws a
 * {@link WorkspaceError} with a readable reason when it holds a bad one.
 *
 * @example
 * decodeWorkspace(encodeWorkspace(defaultWorkspace())); // the default workspace
 */
export function decodeWorkspace(hash: string): Workspace | null {
  const m = /^#?w=(.*)$/s.exec(hash);
  if (!m) return null;
  if (hash.length > MAX_HASH) throw new WorkspaceError([`the link is too long (${hash.length} characters)`]);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(m[1])));
  } catch (e) {
    if (e instanceof WorkspaceError) throw e;
    throw new WorkspaceError(['the link does not hold a readable workspace (it may be cut short)']);
  }
  return validateWorkspace(json);
}
