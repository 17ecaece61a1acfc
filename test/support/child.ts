/** Where a test's child process script is: test/support/NAME.ts bundled by build-children.ts (vitest's set-up). */
import { join } from 'node:path';

export const childScript = (name: string): string =>
  join(import.meta.dirname, '..', '..', 'out', 'test-children', `${name}.mjs`);
