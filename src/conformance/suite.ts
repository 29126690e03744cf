// A test suite in the official wasi-testsuite format: a directory of NAME.wasm next to
// NAME.json, each spec { args, dirs, env, exit_code, stdout, stderr? }, with the directories it
// names (`dirs`) next to it, each preopened under its own name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A test's spec; refwasi's own optional field `refwasi` selects the renumber mode. */
export interface Spec {
  args?: string[];
  dirs?: string[];
  env?: Record<string, string>;
  exit_code?: number;
  stdout?: string;
  stderr?: string;
  refwasi?: { renumber?: 'strict' | 'permissive' };
}

/** What a test needs of a runtime beyond plain preview1. */
export type Need = 'wasix_32v1' | 'renumber-permissive' | 'wasi-threads';

export interface TestCase {
  name: string;
  wasm: string;
  spec: Spec;
  needs: Need[];
}

function needsOf(wasmBytes: Uint8Array, spec: Spec): Need[] {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasmBytes as Uint8Array<ArrayBuffer>));
  const needs: Need[] = [];
  if (imports.some((i) => i.module === 'wasix_32v1')) needs.push('wasix_32v1');
  if (imports.some((i) => i.module === 'wasi' && i.name === 'thread-spawn')) needs.push('wasi-threads');
  if (spec.refwasi?.renumber === 'permissive') needs.push('renumber-permissive');
  return needs;
}

/**
 * Every test of the suite in `dir`, sorted by name: each NAME.wasm, with NAME.json as its spec
 * (a test without one expects exit code 0 and nothing else, as in the official suite). Other
 * .json files (the official suite's manifest.json) are not tests.
 */
export function loadSuite(dir: string): TestCase[] {
  if (!existsSync(dir)) throw new Error(`no suite at '${dir}'`);
  const names = readdirSync(dir).filter((f) => f.endsWith('.wasm')).map((f) => f.slice(0, -5)).sort();
  return names.map((name) => {
    const wasm = join(dir, `${name}.wasm`);
    const specFile = join(dir, `${name}.json`);
    let spec: Spec = {};
    if (existsSync(specFile)) {
      try {
        spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
      } catch (e) {
        throw new Error(`${name}.json: ${(e as Error).message}`);
      }
    }
    for (const d of spec.dirs ?? []) {
      if (!existsSync(join(dir, d))) throw new Error(`${name}.json names dir '${d}', which is not in the suite`);
    }
    return { name, wasm, spec, needs: needsOf(readFileSync(wasm), spec) };
  });
}

/**
 * The shipped index (fixtures/index.json, `refwasi/fixtures`): what another project needs to
 * run the suites. Paths are relative to the index; each of `suites` is a directory in the
 * wasi-testsuite format, to hand a runner as it is.
 */
export interface SuiteIndex {
  format: 'wasi-testsuite';
  description: string;
  suites: string[];
  tests: { name: string; suite: string; wasm: string; spec: string; dirs: string[]; needs: Need[] }[];
}

/** The index of the suites `suites` (directories below `root`, where the index sits). */
export function suiteIndex(root: string, suites: string[]): SuiteIndex {
  return {
    format: 'wasi-testsuite',
    description: 'refwasi fixtures: in each suite directory, NAME.wasm with its spec NAME.json (args, dirs, env, exit_code, stdout, stderr); each dir is preopened under its own name. needs: wasix_32v1 = imports the dup extension; renumber-permissive = expects fd_renumber onto a free fd to succeed; wasi-threads = a threaded program (wasi.thread-spawn, a shared memory).',
    suites,
    tests: suites.flatMap((suite) => loadSuite(join(root, suite)).map((t) => ({
      name: t.name, suite, wasm: `${suite}/${t.name}.wasm`, spec: `${suite}/${t.name}.json`, dirs: t.spec.dirs ?? [], needs: t.needs,
    }))),
  };
}

/** Tests of several suites as one: a name two suites share is qualified by its suite's directory name. */
export function mergeSuites(dirs: string[]): TestCase[] {
  const all = dirs.map((d) => ({ dir: d, tests: loadSuite(d) }));
  const count = new Map<string, number>();
  for (const { tests } of all) for (const t of tests) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  return all.flatMap(({ dir, tests }) => tests.map((t) => (count.get(t.name)! > 1 ? { ...t, name: `${basename(dir)}/${t.name}` } : t)));
}
