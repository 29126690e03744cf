#!/usr/bin/env node
// Builds the test-only wasm programs of tests/wasm, which need flags the fixture build
// (scripts/build-fixtures.mjs) does not use:
//
//   threads.c -> threads_shared.wasm   shared imported memory (atomics, bulk memory), as a
//                                      wasm32-wasip1-threads program imports it
//             -> threads_plain.wasm    the same program over an ordinary imported memory
//
// Both import env.memory (2 pages at first, at most 16) and export __stack_pointer, so a
// host can give each extra instance (thread) its own stack. No libc: Debian's wasi-libc has
// no build for shared memory.
//
//   node tests/wasm/build-threads.mjs      (clang and wasm-ld; WASI_CC and WASI_SYSROOT override)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const CC = process.env.WASI_CC || 'clang';
const SYSROOT = process.env.WASI_SYSROOT || '/usr';

const COMMON = [
  '--target=wasm32-wasi', `--sysroot=${SYSROOT}`, '-O2', '-nostdlib', '-fno-builtin', '-mmutable-globals',
  '-Wall', '-Wextra', '-Werror',
  '-Wl,--import-memory,--initial-memory=131072,--max-memory=1048576,-z,stack-size=16384',
  '-Wl,--export=thread_entry,--export=grow_and_fill,--export=__stack_pointer,--strip-all',
];
const BUILDS = [
  { out: 'threads_shared.wasm', flags: ['-matomics', '-mbulk-memory', '-Wl,--shared-memory'] },
  { out: 'threads_plain.wasm', flags: [] },
];

for (const b of BUILDS) {
  const args = [...COMMON, ...b.flags, '-o', path.join(DIR, b.out), path.join(DIR, 'threads.c')];
  const r = spawnSync(CC, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`failed: ${CC} ${args.join(' ')}`);
    process.exit(1);
  }
  console.log(`built tests/wasm/${b.out}`);
}
