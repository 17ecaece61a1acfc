/**
 * The launcher's choice between the CLI's bundle and its sources (src/cli/launch.mjs), on a tree of real files with
 * set modification times, and the real bundle vitest's set-up built.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleIsFresh, load } from './launch.mjs';

const root = mkdtempSync(join(tmpdir(), 'strata-launch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string, secondsAgo: number): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, '');
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(p, t, t);
  return p;
}

describe('the command line launcher', () => {
  it('runs the bundle only while it is newer than every source outside the renderer', () => {
    file('src/main/engine/a.ts', 300);
    file('src/shared/b.ts', 200);
    expect(bundleIsFresh('main', root)).toBe(false); // no bundle yet
    file('out/cli/main.mjs', 100);
    expect(bundleIsFresh('main', root)).toBe(true);
    file('src/renderer/src/view.tsx', 10); // the renderer is not in the bundle
    expect(bundleIsFresh('main', root)).toBe(true);
    file('src/main/engine/deep/er/c.ts', 50); // an edit after the build, however deep
    expect(bundleIsFresh('main', root)).toBe(false);
    expect(bundleIsFresh('mcp', root)).toBe(false);
  });

  it("loads the built CLI's main, and refuses a name it does not know", async () => {
    expect(bundleIsFresh('main')).toBe(true); // vitest's set-up built out/cli just now
    const m = await load('main');
    expect(typeof m.main).toBe('function');
    await expect(load('nope')).rejects.toThrow(/no command line entry "nope"/);
  });
});
