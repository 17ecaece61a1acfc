/**
 * `npm run test:electron`: the same journeys as the browser-mode tests, through Playwright's Electron support,
 * against the built app (`npm run build`, plus the Electron build of better-sqlite3). Needs the Electron binary,
 * so it runs on a desktop, not on the CI machines; it is not part of `npm test`.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e/electron',
  testMatch: '*.electron.ts',
  outputDir: 'e2e/.output/electron-results',
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  projects: [{ name: 'electron' }],
});
