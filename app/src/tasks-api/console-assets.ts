/**
 * The web console's files (docs/console.md), served by `ferry serve` at `/` on the API's port without a token: they
 * hold no data (every number comes from the API, with the token the user enters). Built by `npm run build:console`
 * (Vite) into app/console/dist, which the npm package ships; nothing is built at run time.
 *
 * - `/` and `/index.html`: the page, `Cache-Control: no-cache` (revalidated, so a new build shows at once);
 * - `/assets/<name>-<hash>.<ext>`: the scripts and styles, content-hashed, cached for a year (`immutable`);
 * - `/docs/<name>.md`: this installation's documentation (the console links each page to it), as plain text.
 *
 * Every answer carries a Content-Security-Policy that allows scripts, styles and requests to this origin only, no
 * framing, no inline script, plus `nosniff` and `no-referrer`. Files are read once, when the server starts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
export const CONSOLE_DIST = join(ROOT, 'app', 'console', 'dist');
export const DOCS_DIR = join(ROOT, 'docs');

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8',
  // Markdown as plain text: every browser shows it (some download text/markdown instead)
  '.md': 'text/plain; charset=utf-8', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY', 'cross-origin-opener-policy': 'same-origin',
};

interface Asset { readonly body: Buffer; readonly type: string; readonly cache: string }

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Ferry console not built</title>
<h1>The Ferry console is not built</h1><p>This installation has no app/console/dist. Run <code>npm run build:console</code>
(or <code>npm run setup</code>) in the Ferry folder and restart <code>ferry serve</code>. The REST API works without it (docs/api.md).</p></html>`;

export class ConsoleAssets {
  readonly #files = new Map<string, Asset>();
  readonly #docsDir: string | null;
  /** Whether a build was found (else `/` explains how to build it). */
  readonly built: boolean;

  constructor(options: { distDir?: string; docsDir?: string | null } = {}) {
    const dist = options.distDir ?? CONSOLE_DIST;
    this.#docsDir = options.docsDir === undefined ? DOCS_DIR : options.docsDir;
    this.built = existsSync(join(dist, 'index.html'));
    if (!this.built) return;
    const walk = (dir: string, prefix: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) { walk(join(dir, e.name), `${prefix}${e.name}/`); continue; }
        const path = `/${prefix}${e.name}`;
        const immutable = prefix === 'assets/';
        this.#files.set(path, { body: readFileSync(join(dir, e.name)), type: TYPES[extname(e.name)] ?? 'application/octet-stream', cache: immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
      }
    };
    walk(dist, '');
  }

  /** Serves the request when it is for a console file or a doc (GET or HEAD); returns false to leave it to the API. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/' || path === '/index.html') {
      const page = this.#files.get('/index.html');
      if (!page) return this.#write(req, res, 503, { body: Buffer.from(NOT_BUILT), type: TYPES['.html']!, cache: 'no-store' });
      return this.#write(req, res, 200, page);
    }
    const doc = /^\/docs\/([a-z0-9][a-z0-9-]*\.md)$/.exec(path);
    if (doc) {
      const file = this.#docsDir === null ? null : join(this.#docsDir, doc[1]!);
      if (file === null || !statSync(file, { throwIfNoEntry: false })?.isFile()) return this.#write(req, res, 404, { body: Buffer.from(`no such document: ${path}\n`), type: 'text/plain; charset=utf-8', cache: 'no-store' });
      return this.#write(req, res, 200, { body: readFileSync(file), type: TYPES['.md']!, cache: 'no-cache' });
    }
    if (path.startsWith('/assets/')) {
      const asset = this.#files.get(path);
      if (!asset) return this.#write(req, res, 404, { body: Buffer.from(`no such console file: ${path} (the console was rebuilt: reload the page)\n`), type: 'text/plain; charset=utf-8', cache: 'no-store' });
      return this.#write(req, res, 200, asset);
    }
    const top = this.#files.get(path);
    if (top && path !== '/index.html') return this.#write(req, res, 200, top);
    return false;
  }

  #write(req: IncomingMessage, res: ServerResponse, status: number, a: Asset): true {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': a.type, 'content-length': a.body.length, 'cache-control': a.cache });
    res.end(req.method === 'HEAD' ? undefined : a.body);
    return true;
  }
}
