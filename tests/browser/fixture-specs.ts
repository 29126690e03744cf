// The fixture suite as the browser tests see it: fixtures/testsuite/NAME.{wasm,json} and the
// input dirs, with the expectations tests/fixtures.test.ts applies in Node.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SUITE, readSpec as spec, type Spec } from '../helpers/fixture-specs';

export { SUITE, spec, type Spec };

/** What a page sends back for one fixture run. */
export interface Run {
  name: string;
  code: number | undefined;
  stdout: string;
  stderr: string;
  error: string | null;
  trees: Record<string, HexTree>;
}

export type HexTree = { [name: string]: string | HexTree };

export const fixtureNames: string[] = readdirSync(SUITE)
  .filter((f) => f.endsWith('.json') && readdirSync(SUITE).includes(`${f.slice(0, -5)}.wasm`))
  .map((f) => f.slice(0, -5))
  .sort();

/** An input dir on disk as { name: hex | subtree }, what every read-back is compared with. */
export function hexTree(dir: string): HexTree {
  const out: HexTree = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    out[name] = statSync(p).isDirectory() ? hexTree(p) : readFileSync(p).toString('hex');
  }
  return out;
}

/**
 * Fixtures that need what OPFS cannot express (symlinks, timestamps set by the program),
 * with the reason. On OPFS such a fixture must fail (it is run, and asserted not to pass);
 * on every other backend it runs as usual.
 */
export const OPFS_LIMITS: Record<string, string> = {};

/** The checks tests/fixtures.test.ts makes: exit code, stdout (and stderr where the spec has it), dirs unchanged. */
export function expectFixture(run: Run): void {
  const s = spec(run.name);
  const got = { name: run.name, error: run.error, code: run.code, stdout: run.stdout, stderr: run.stderr };
  const want = {
    name: run.name, error: null, code: s.exit_code ?? 0,
    stdout: s.stdout ?? run.stdout, stderr: s.stderr ?? run.stderr,
  };
  expect(got).toEqual(want);
  for (const d of s.dirs ?? []) expect({ dir: d, tree: run.trees[d] }).toEqual({ dir: d, tree: hexTree(join(SUITE, d)) });
}
