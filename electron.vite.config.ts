import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { STRATA_METHODS } from './src/shared/api';

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
    build: { rollupOptions: { input: { index: 'src/renderer/index.html' } } },
    plugins: [react()],
  },
});
