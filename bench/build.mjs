#!/usr/bin/env node
// Builds the benchmark programs: bench/c/NAME.c -> bench/wasm/NAME.wasm.
//   node bench/build.mjs           rebuild them all
//   node bench/build.mjs --check   rebuild into a temp dir; fail if any differs from bench/wasm
// Reproducible byte for byte: debug info is stripped at link time and the "producers"
// section (it names the exact compiler build) is dropped. Needs clang 14 + lld + wasi-libc
// (scripts/setup-debian.sh); override with WASI_CC and WASI_SYSROOT.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stripCustom } from '../scripts/wasm-strip.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cc = process.env.WASI_CC || 'clang';
const flags = ['--target=wasm32-wasi', `--sysroot=${process.env.WASI_SYSROOT || '/usr'}`, '-O2', '-Wall', '-Wextra', '-Wl,--strip-debug'];

let check;
try {
  ({ values: { check } } = parseArgs({ options: { check: { type: 'boolean' } } }));
} catch (e) {
  console.error(`${e.message} (usage: node bench/build.mjs [--check])`);
  process.exit(2);
}
const outDir = check ? fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bench-')) : path.join(here, 'wasm');
fs.mkdirSync(outDir, { recursive: true });
const names = fs.readdirSync(path.join(here, 'c')).filter((f) => f.endsWith('.c')).sort().map((f) => f.slice(0, -2));
const stale = [];
for (const name of names) {
  const raw = path.join(outDir, `${name}.raw.wasm`);
  execFileSync(cc, [...flags, '-o', raw, path.join(here, 'c', `${name}.c`)], { stdio: 'inherit' });
  const out = stripCustom(fs.readFileSync(raw), ['producers']);
  fs.rmSync(raw);
  if (!check) fs.writeFileSync(path.join(outDir, `${name}.wasm`), out);
  else if (!fs.existsSync(path.join(here, 'wasm', `${name}.wasm`)) || !out.equals(fs.readFileSync(path.join(here, 'wasm', `${name}.wasm`)))) stale.push(name);
}
if (check) {
  fs.rmSync(outDir, { recursive: true, force: true });
  if (stale.length) {
    console.error(`bench/wasm is out of date for: ${stale.join(', ')} (run node bench/build.mjs)`);
    process.exit(1);
  }
  console.log(`all ${names.length} benchmark programs match a fresh build`);
} else {
  console.log(`built ${names.length} benchmark programs into bench/wasm`);
}
