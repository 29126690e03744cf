// A test suite in the official wasi-testsuite format: a directory of NAME.wasm next to
// NAME.json, each spec { args, dirs, env, exit_code, stdout, stderr? }, with the directories it
// names (`dirs`) next to it, each preopened under its own name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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
export type Need = 'wasix_32v1' | 'renumber-permissive';

export interface TestCase {
  name: string;
  wasm: string;
  spec: Spec;
  needs: Need[];
}

/** The module names a module imports functions from, without instantiating it. */
export function importedModules(bytes: Uint8Array): string[] {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))].sort();
}

function needsOf(wasmBytes: Uint8Array, spec: Spec): Need[] {
  const needs: Need[] = [];
  if (importedModules(wasmBytes).includes('wasix_32v1')) needs.push('wasix_32v1');
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
 * run the suite. Paths are relative to the index; `suite` is the directory to hand a runner.
 */
export interface SuiteIndex {
  format: 'wasi-testsuite';
  description: string;
  suite: string;
  tests: { name: string; wasm: string; spec: string; dirs: string[]; needs: Need[] }[];
}

/** The index of the suite in `dir`, which sits at `suite` relative to the index. */
export function suiteIndex(dir: string, suite: string): SuiteIndex {
  return {
    format: 'wasi-testsuite',
    description: 'refwasi fixtures: NAME.wasm with its spec NAME.json (args, dirs, env, exit_code, stdout, stderr) in the suite directory; each dir is preopened under its own name. needs: wasix_32v1 = imports the dup extension; renumber-permissive = expects fd_renumber onto a free fd to succeed.',
    suite,
    tests: loadSuite(dir).map((t) => ({
      name: t.name, wasm: `${suite}/${t.name}.wasm`, spec: `${suite}/${t.name}.json`, dirs: t.spec.dirs ?? [], needs: t.needs,
    })),
  };
}
