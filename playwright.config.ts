/**
 * End-to-end tests in browser mode: Debian's Chromium drives the built renderer against a real engine served by
 * `npm run serve` (one server and one fresh data directory per test, started by e2e/fixtures.ts).
 * Needs `npm run build` first (npm test does it). Screenshots of each view land in e2e/.output/screenshots.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.e2e.ts',
  outputDir: 'e2e/.output/results',
  // Each test starts its own server (engine, worker threads, a fresh data folder) on its own port: two run at once.
  workers: 2,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  projects: [{ name: 'browser' }],
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
