#!/usr/bin/env node
// Builds the example programs: examples/node/NAME.c -> examples/node/NAME.wasm.
//   node examples/node/build.mjs           rebuild them
//   node examples/node/build.mjs --check   rebuild into a temp dir; fail if any differs
// The same toolchain and reproducible flags as the fixtures (scripts/build-fixtures.mjs):
// clang + wasi-libc, debug info and the "producers" section dropped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stripCustom } from '../../scripts/wasm-strip.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const include = path.join(here, '..', '..', 'fixtures', 'include');
const cc = process.env.WASI_CC || 'clang';
const flags = ['--target=wasm32-wasi', `--sysroot=${process.env.WASI_SYSROOT || '/usr'}`, '-O2', '-Wall', '-Wextra', '-I', include, '-Wl,--strip-debug'];

const { values } = parseArgs({ options: { check: { type: 'boolean' } }, strict: true, allowPositionals: false });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-examples-'));
let stale = 0;
try {
  for (const file of fs.readdirSync(here).filter((f) => f.endsWith('.c')).sort()) {
    const name = file.slice(0, -2);
    const raw = path.join(tmp, `${name}.raw.wasm`);
    execFileSync(cc, [...flags, '-o', raw, path.join(here, file)], { stdio: 'inherit' });
    const wasm = stripCustom(fs.readFileSync(raw), ['producers']);
    const dest = path.join(here, `${name}.wasm`);
    if (!values.check) fs.writeFileSync(dest, wasm);
    else if (!fs.existsSync(dest) || !wasm.equals(fs.readFileSync(dest))) {
      console.error(`${name}.wasm differs from a fresh build of ${file}`);
      stale++;
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (stale > 0) process.exitCode = 1;
