// Types of comlink's Node adapter (the package ships them as .d.ts beside an .mjs, which
// TypeScript does not pair up).
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (...args: never[]) => void): unknown;
    off(type: string, listener: (...args: never[]) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
