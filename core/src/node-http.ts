/**
 * Node's `http` module, taken without an ES module import.
 *
 * Why: `import { ... } from 'node:http'` builds the module's ESM namespace, and building it reads every export,
 * including the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters. Those load undici (Node's fetch and
 * WebSocket client, 43 more internal modules) and keep it resident: about 15 MB more RSS for every Ferry process,
 * for a client it never uses (docs/performance.md, "Memory"). `process.getBuiltinModule` returns the exports as
 * `require()` does, without a namespace. Type-only imports from 'node:http' are erased and stay fine; the lint
 * (eslint.config.js) refuses the other kind in Ferry's sources and points here.
 */
import type * as Http from 'node:http';

export const http: typeof Http = process.getBuiltinModule('node:http');
