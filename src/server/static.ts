/**
 * The built renderer as browser mode serves it: the precompressed copy the build wrote beside each text asset
 * (`x.js.br`, `x.js.gz`, see electron.vite.config.ts) when the browser accepts it, and caching by name: files under
 * `assets/` carry a content hash in their name, so they are cached for a year and never asked for again; everything
 * else (index.html, which names the current hashes, theme.js, early.js, the icon) is asked for again on every load.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export const IMMUTABLE = 'public, max-age=31536000, immutable';

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/** Files read once (by path, size and time: a rebuild is read again), so a page load costs no disk reads. */
const cache = new Map<string, { key: string; body: Buffer }>();
function read(file: string): Buffer {
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(file);
  if (hit?.key === key) return hit.body;
  const body = readFileSync(file);
  cache.set(file, { key, body });
  return body;
}

/** The encodings `accept-encoding` allows, best first (a `;q=0` refuses one). */
export function accepted(header: string | undefined): ('br' | 'gzip')[] {
  const allowed = new Set(
    (header ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter((p) => p && !/;\s*q=0(?:\.0*)?$/.test(p))
      .map((p) => p.split(';')[0]?.trim()),
  );
  return (['br', 'gzip'] as const).filter((e) => allowed.has(e));
}

/**
 * Serves `pathname` from `root`, or answers false (not a file in `root`: the caller sends its 404). `csp` is sent
 * with every file.
 */
export function serveFile(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
  csp: string,
): boolean {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = normalize(join(root, rel));
  if (!file.startsWith(root + sep) || !isFile(file)) return false;
  const encoding = accepted(req.headers['accept-encoding']).find((e) => isFile(`${file}.${e === 'br' ? 'br' : 'gz'}`));
  const body = read(encoding ? `${file}.${encoding === 'br' ? 'br' : 'gz'}` : file);
  const hashed = rel.startsWith('assets/');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    // index.html is never stored: it names the current build's assets (and the page reads the run's key from the
    // address). The other unhashed files are revalidated each load.
    'Cache-Control': hashed ? IMMUTABLE : rel === 'index.html' ? 'no-store' : 'no-cache',
    Vary: 'Accept-Encoding',
    ...(encoding && { 'Content-Encoding': encoding }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
