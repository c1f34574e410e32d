/**
 * The shape of the import graph of src/: no cycle among the modules that load each other
 * at run time, and the JWS layer (src/jwt/jws/) imports nothing outside itself (not even
 * a type), so it can be lifted out as it is.
 *
 * Read from the source text: `import`/`export … from` with a relative specifier. With
 * `verbatimModuleSyntax`, `import type` / `export type` are erased and load nothing;
 * `import { type A }` still loads its module, so it counts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm;

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of sources(SRC)) {
    const edges = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => ({
      to: relative(SRC, resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts'))),
      typeOnly: m[1] !== undefined,
    }));
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** Every cycle found by a depth-first walk over the run-time edges (with `types`, the erased ones too), as `a → b → a`. */
function runtimeCycles(graph: Map<string, Edge[]>, types = false): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const { to, typeOnly } of graph.get(node) ?? []) {
      if ((typeOnly && !types) || !graph.has(to)) continue;
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to].join(' → '));
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  test('it is read (sanity: known edges are there)', () => {
    assert.ok(graph.size > 50);
    assert.ok(graph.get('index.ts')?.some((e) => e.to === 'core/errors.ts'));
  });

  test('no module loads itself back through its imports', () => {
    assert.deepEqual(runtimeCycles(graph), []);
  });

  test('src/jwt/jws/ has no cycle at all, not even through erased type imports', () => {
    const jws = new Map([...graph].filter(([file]) => file.startsWith('jwt/jws/')));
    assert.deepEqual(runtimeCycles(jws, true), []);
  });

  test('the cycle finder finds cycles', () => {
    const toy = new Map<string, Edge[]>([
      ['a.ts', [{ to: 'b.ts', typeOnly: false }]],
      ['b.ts', [{ to: 'a.ts', typeOnly: false }]],
      ['c.ts', [{ to: 'a.ts', typeOnly: true }]],
    ]);
    assert.deepEqual(runtimeCycles(toy), ['a.ts → b.ts → a.ts']);
    const typed = new Map<string, Edge[]>([
      ['a.ts', [{ to: 'b.ts', typeOnly: true }]],
      ['b.ts', [{ to: 'a.ts', typeOnly: false }]],
    ]);
    assert.deepEqual(runtimeCycles(typed), []);
    assert.deepEqual(runtimeCycles(typed, true), ['a.ts → b.ts → a.ts']);
  });

  test('src/jwt/jws/ imports nothing outside itself', () => {
    const outside = [...graph]
      .filter(([file]) => file.startsWith('jwt/jws/'))
      .flatMap(([file, edges]) => edges.filter((e) => !e.to.startsWith('jwt/jws/')).map((e) => `${file} → ${e.to}`));
    assert.deepEqual(outside, []);
  });
});
