import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { STRATA_METHODS } from './src/shared/api';

const METHODS_ID = '\0strata-methods';

/**
 * The renderer needs the API table's method names only (shared/envelope.ts builds the client from them); importing
 * the table itself would bundle every zod schema into the first chunk. Like the preload's define, the names are
 * given as a module of constants instead.
 */
function methodNamesOnly(): Plugin {
  return {
    name: 'strata:method-names-only',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === './api' && importer && /[\\/]shared[\\/]envelope\.ts$/.test(importer)) return METHODS_ID;
      return null;
    },
    load(id) {
      if (id !== METHODS_ID) return null;
      return `export const STRATA_METHODS = ${JSON.stringify(STRATA_METHODS)};`;
    },
  };
}

/**
 * Browser mode serves the renderer over HTTP: each text asset is also written brotli- and gzip-compressed beside
 * itself (`x.js.br`, `x.js.gz`), once at build, so `serve` sends the smaller file with no work per request
 * (src/server/static.ts). Electron reads the plain files from disk and ignores these.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'strata:precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) => {
          const p = join(dir, f);
          return statSync(p).isDirectory() ? walk(p) : [p];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|mjs|css|html|svg|json)$/.test(file) || statSync(file).size < 1024) continue;
        const body = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

/**
 * The page's two small classic scripts (theme.js, early.js) block parsing, and the browser started fetching the
 * bundle and its CSS, placed after them, only once they had arrived (0.3–1 s on a loaded server). Moved after the
 * bundle's tags: a module script is fetched at once but run only after parsing, so they still run before it.
 */
function classicScriptsLast(): Plugin {
  return {
    name: 'strata:classic-scripts-last',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const tags = html.match(/^\s*<script src="\.\/[\w-]+\.js"><\/script>\n/gm) ?? [];
        let out = html;
        for (const t of tags) out = out.replace(t, '');
        return out.replace(/\n\s*<\/head>/, `\n${tags.map((t) => `    ${t.trim()}\n`).join('')}  </head>`);
      },
    },
  };
}

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: { input: { index: 'src/main/index.ts' } },
    },
  },
  preload: {
    // A sandboxed preload can require no package: it gets the API table's method names as a constant instead of the
    // table itself (whose schemas would bundle zod into it).
    define: { __STRATA_METHODS__: JSON.stringify(STRATA_METHODS) },
    build: {
      rollupOptions: {
        input: { index: 'src/preload/index.ts' },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    // electron-vite leaves the renderer unminified; the first paint waits for the browser to parse the first chunk
    // (1.07 MB unminified at 100,000 items' load), so it is minified.
    build: { minify: true, rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
    plugins: [methodNamesOnly(), react(), classicScriptsLast(), precompress()],
  },
});
