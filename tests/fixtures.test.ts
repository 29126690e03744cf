// Runs every C fixture of fixtures/testsuite under refwasi, in the official
// wasi-testsuite format (see tests/helpers/fixture-specs.ts).
// Each listed dir (next to the spec) is loaded into a MemoryDirectory and
// preopened under its own name; after the run the tree must be unchanged
// (the fixtures remove what they create). Rebuild the .wasm files with
// `npm run fixtures` (scripts/build-fixtures.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDirectory, WASI, type Tree } from '../src';
import { listSpecs, SUITE, type Spec } from './helpers/fixture-specs';

/** A directory on disk in MemoryDirectory.from's plain-object form: files as Uint8Array. */
function loadTree(dir: string): Tree {
  const tree: Tree = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) tree[entry.name] = loadTree(p);
    else if (entry.isFile()) tree[entry.name] = new Uint8Array(readFileSync(p));
    else throw new Error(`unsupported entry in fixture dir: ${p}`);
  }
  return tree;
}

type Comparable = { [name: string]: string | Comparable };

/** A tree in a form that compares (and diffs) well: sorted keys, files as "bytes:<hex>". */
function comparable(tree: Tree): Comparable {
  const out: Comparable = {};
  for (const name of Object.keys(tree).sort()) {
    const v = tree[name];
    if (typeof v === 'string') out[name] = `bytes:${Buffer.from(v, 'utf8').toString('hex')}`;
    else if (v instanceof Uint8Array) out[name] = `bytes:${Buffer.from(v).toString('hex')}`;
    else if ('symlink' in v && typeof v.symlink === 'string' && Object.keys(v).length === 1) out[name] = `symlink:${v.symlink}`;
    else out[name] = comparable(v as Tree);
  }
  return out;
}

function concat(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8');
}

const specs = listSpecs();

describe('C fixtures (fixtures/testsuite)', () => {
  it('has the fixture suite', () => {
    expect(specs.length).toBeGreaterThanOrEqual(30);
    for (const name of specs) expect(readdirSync(SUITE)).toContain(`${name}.wasm`);
  });

  it('has a fixture directory loader that round-trips through MemoryDirectory', () => {
    const tree = loadTree(join(SUITE, 'fs-tests.dir'));
    expect(comparable(MemoryDirectory.from(loadTree(join(SUITE, 'fs-tests.dir'))).toTree())).toEqual(comparable(tree));
  });

  test.each(specs)('%s', async (name) => {
    const spec = JSON.parse(readFileSync(join(SUITE, `${name}.json`), 'utf8')) as Spec;
    const bytes = readFileSync(join(SUITE, `${name}.wasm`));

    const preopens: Record<string, MemoryDirectory> = {};
    const before: Record<string, Comparable> = {};
    for (const dir of spec.dirs ?? []) {
      before[dir] = comparable(loadTree(join(SUITE, dir)));
      preopens[dir] = MemoryDirectory.from(loadTree(join(SUITE, dir)));
    }

    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    const wasi = new WASI({
      args: [`${name}.wasm`, ...(spec.args ?? [])],
      env: spec.env ?? {},
      preopens,
      stdout: (chunk: Uint8Array) => void stdout.push(chunk.slice()),
      stderr: (chunk: Uint8Array) => void stderr.push(chunk.slice()),
      renumber: spec.refwasi?.renumber ?? 'strict',
    });
    const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);

    const got = { exit_code: code, stdout: concat(stdout), stderr: concat(stderr) };
    const want = {
      exit_code: spec.exit_code ?? 0,
      stdout: spec.stdout ?? got.stdout,
      // stderr is compared only when the spec has it; show it on failure either way
      stderr: spec.stderr ?? got.stderr,
    };
    expect(got).toEqual(want);

    for (const dir of spec.dirs ?? []) {
      expect({ dir, tree: comparable(preopens[dir].toTree()) }).toEqual({ dir, tree: before[dir] });
      // From the host side: the run left no file handle open and closed none twice.
      expect({ dir, open: preopens[dir].openHandles, doubleCloses: preopens[dir].doubleCloses }).toEqual({ dir, open: 0, doubleCloses: 0 });
    }
    expect(wasi.table.size).toBe(0);
  });
});
