/**
 * The import graph of the whole tree (src, test, bench, e2e) has no circle: a module and what it imports form a
 * hierarchy. Type-only imports count too (they tie the files' meaning together even when erased).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIRS = ['src', 'test', 'bench', 'e2e'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name.startsWith('.') ? [] : files(p);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec.replace(/\?.*$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // Not this candidate.
    }
  }
  return null;
}

/** Every module's relative imports (static, dynamic, re-exports), as project-relative paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of DIRS.flatMap((d) => files(join(ROOT, d)))) {
    const text = readFileSync(f, 'utf8');
    const specs = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g),
      ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1] as string);
    const deps = specs.map((s) => resolveImport(f, s)).filter((d): d is string => d !== null);
    graph.set(relative(ROOT, f), [...new Set(deps.map((d) => relative(ROOT, d)))]);
  }
  return graph;
}

/** Each circle once, as the path from its smallest module round to itself. */
function circles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') {
        const loop = stack.slice(stack.indexOf(d));
        const start = loop.indexOf([...loop].sort()[0] as string);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        found.add([...rotated, rotated[0]].join(' → '));
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return [...found].sort();
}

describe('the import graph', () => {
  it('reads real imports, and finds a circle where there is one', () => {
    const g = importGraph();
    expect(g.get('src/shared/api.ts')).toEqual(expect.arrayContaining(['src/shared/schema.ts']));
    expect(
      circles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual(['a → b → c → a']);
  });

  it('has no circle anywhere in the tree', () => {
    expect(circles(importGraph())).toEqual([]);
  });
});
