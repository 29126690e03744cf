// The C fixtures of fixtures/testsuite, in the official wasi-testsuite format: NAME.wasm next
// to NAME.json
//   { "args": [...], "dirs": [...], "env": {...}, "exit_code": 0, "stdout": "...", "stderr"?: "..." }
// plus an optional refwasi-only field { "refwasi": { "renumber": "strict" | "permissive" } }.
// Shared by the runs over MemoryDirectory (tests/fixtures.test.ts) and NodeDirectory
// (tests/fixtures-node.test.ts), so both hold every fixture to the same expectations.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUITE = join(__dirname, '..', '..', 'fixtures', 'testsuite');

export type { Spec } from '../../src/conformance/suite';
import type { Spec } from '../../src/conformance/suite';

/** Every fixture's name (NAME of NAME.json), sorted. */
export function listSpecs(): string[] {
  return readdirSync(SUITE)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function readSpec(name: string): Spec {
  return JSON.parse(readFileSync(join(SUITE, `${name}.json`), 'utf8')) as Spec;
}
