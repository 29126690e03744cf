// The browser entry must not reach any Node built-in. This builds the ESM output with
// scripts/build.mjs's options (both entries, shared chunks), in memory, then follows the static
// imports from index.mjs through every chunk it loads and collects what each one imports.
import { join, posix } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const ROOT = join(__dirname, '..');

// The options scripts/build.mjs builds with, so this checks exactly what ships.
const esmOptions = require('../scripts/esm-options.cjs') as BuildOptions;

async function esmBuild(): Promise<Metafile> {
  const result = await build({ ...esmOptions, absWorkingDir: ROOT, write: false, metafile: true, logLevel: 'silent' });
  return result.metafile;
}

/** Every module specifier that loading `entry` imports, through the chunks it loads. */
function reachableImports(meta: Metafile, entry: string): { chunks: string[]; external: string[] } {
  const chunks: string[] = [];
  const external = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (chunks.includes(file)) continue;
    chunks.push(file);
    const out = meta.outputs[file];
    if (out === undefined) throw new Error(`no output ${file}`);
    for (const imp of out.imports) {
      if (imp.external) external.add(imp.path);
      else todo.push(posix.normalize(imp.path));
    }
  }
  return { chunks, external: [...external].sort() };
}

describe('the browser bundle', () => {
  let meta: Metafile;
  beforeAll(async () => {
    meta = await esmBuild();
  });

  it('dist/esm/index.mjs and the chunks it loads import no node: module (nor anything external)', () => {
    const { chunks, external } = reachableImports(meta, 'dist/esm/index.mjs');
    expect(chunks.length).toBeGreaterThanOrEqual(2); // index.mjs and the shared core chunk
    expect(external.filter((p) => p.startsWith('node:'))).toEqual([]);
    expect(external).toEqual([]);
  });

  it('the check sees node: imports where they are (dist/esm/node.mjs)', () => {
    const { external } = reachableImports(meta, 'dist/esm/node.mjs');
    expect(external.some((p) => p.startsWith('node:'))).toBe(true);
  });

  it('includes the browser backends and the shim interop in the browser entry', () => {
    const { chunks } = reachableImports(meta, 'dist/esm/index.mjs');
    const inputs = chunks.flatMap((c) => Object.keys(meta.outputs[c].inputs));
    expect(inputs).toEqual(expect.arrayContaining(['src/backends/browser/opfs.ts', 'src/backends/shim/backend.ts']));
    expect(inputs.some((i) => i.includes('browser_wasi_shim'))).toBe(false);
  });
});
