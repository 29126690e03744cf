#!/usr/bin/env node
// Builds the C fixtures: fixtures/c/NAME.c -> fixtures/testsuite/NAME.wasm,
// next to the wasi-testsuite style specs fixtures/testsuite/NAME.json.
//
//   node scripts/build-fixtures.mjs            build every fixture
//   node scripts/build-fixtures.mjs --check    rebuild into a temp dir and
//                                              fail listing every .wasm that
//                                              differs from the committed one
//   node scripts/build-fixtures.mjs --native   build each program with the
//                                              native compiler and run it on a
//                                              temp copy of its dirs; compare
//                                              exit code and stdout (stderr if
//                                              the spec has it) with the spec
//                                              and check the dirs are unchanged
//   ... [NAME ...]                             only these programs
//   Any other flag is refused (status 2).
//
// Toolchain: clang with wasi-libc (Debian/Ubuntu: apt-get install clang lld
// wasi-libc). Override with WASI_CC, WASI_SYSROOT and NATIVE_CC.
//
// Output is byte-for-byte reproducible: debug info is stripped at link time
// (wasi-libc's libc.a carries it) and the "producers" custom section, which
// names the exact compiler build, is removed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

const SRC_DIR = 'fixtures/c';
const OUT_DIR = 'fixtures/testsuite';
const INCLUDE_DIR = 'fixtures/include';
const WASI_CC = process.env.WASI_CC || 'clang';
const WASI_SYSROOT = process.env.WASI_SYSROOT || '/usr';
const NATIVE_CC = process.env.NATIVE_CC || 'gcc';

const COMMON_FLAGS = ['-O2', '-Wall', '-Wextra', '-I', INCLUDE_DIR];
const WASM_FLAGS = [
  '--target=wasm32-wasi',
  `--sysroot=${WASI_SYSROOT}`,
  ...COMMON_FLAGS,
  '-Wl,--strip-debug',
];

// Threaded programs (fixtures/threads-c -> fixtures/threads): Debian's wasi-libc has no
// shared-memory build, so they use no libc (fixtures/include/refwasi_threads.h) and start
// their threads through refwasi_thread_start.s; see fixtures/README.md.
const THREADS_SRC_DIR = 'fixtures/threads-c';
const THREADS_OUT_DIR = 'fixtures/threads';
const THREADS_FLAGS = [
  '--target=wasm32-wasi',
  `--sysroot=${WASI_SYSROOT}`,
  ...COMMON_FLAGS,
  '-nostdlib',
  '-matomics',
  '-mbulk-memory',
  '-Wl,--import-memory,--shared-memory,--max-memory=16777216,-z,stack-size=65536',
  '-Wl,--export=wasi_thread_start,--strip-debug',
];

// Sources built into more than one program, each with its own defines.
const VARIANTS = {
  renumber_free: [
    { name: 'renumber_free_strict', defines: ['-DEXPECT_PERMISSIVE=0'] },
    { name: 'renumber_free_permissive', defines: ['-DEXPECT_PERMISSIVE=1'] },
  ],
};

// Programs whose expectations hold only under WASI; --native skips them.
const WASI_ONLY = {
  renumber_free_strict:
    'fd_renumber does not exist natively; its dup2 + close emulation accepts a free target',
};

function programs() {
  const list = [];
  for (const file of fs.readdirSync(SRC_DIR).sort()) {
    if (!file.endsWith('.c')) continue;
    const base = file.slice(0, -2);
    const src = `${SRC_DIR}/${file}`;
    for (const v of VARIANTS[base] ?? [{ name: base, defines: [] }]) {
      list.push({ name: v.name, src, defines: v.defines, outDir: OUT_DIR, flags: WASM_FLAGS, extra: [] });
    }
  }
  for (const file of fs.readdirSync(THREADS_SRC_DIR).sort()) {
    if (!file.endsWith('.c')) continue;
    list.push({
      name: file.slice(0, -2), src: `${THREADS_SRC_DIR}/${file}`, defines: [], outDir: THREADS_OUT_DIR,
      flags: THREADS_FLAGS, extra: [`${INCLUDE_DIR}/refwasi_thread_start.s`], threads: true,
    });
  }
  return list;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

function mustRun(cmd, args) {
  const r = run(cmd, args);
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`failed: ${cmd} ${args.join(' ')}`);
  }
  if (r.stderr) process.stderr.write(r.stderr);
}

// --- wasm custom-section stripping -------------------------------------

function readU32(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
    shift += 7;
  }
}

function stripCustomSections(bytes, names) {
  const parts = [bytes.subarray(0, 8)];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const [size, payload] = readU32(bytes, pos);
    const end = payload + size;
    let keep = true;
    if (id === 0) {
      const [len, namePos] = readU32(bytes, payload);
      const name = Buffer.from(bytes.subarray(namePos, namePos + len)).toString('utf8');
      keep = !names.includes(name);
    }
    if (keep) parts.push(bytes.subarray(start, end));
    pos = end;
  }
  return Buffer.concat(parts);
}

// --- build ---------------------------------------------------------------

function buildWasm(prog, outDir, tmp) {
  const raw = path.join(tmp, `${prog.name}.raw.wasm`);
  mustRun(WASI_CC, [...prog.flags, ...prog.defines, '-o', raw, prog.src, ...prog.extra]);
  const out = stripCustomSections(fs.readFileSync(raw), ['producers']);
  const dir = outDir === undefined ? prog.outDir : path.join(outDir, prog.outDir);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${prog.name}.wasm`), out);
}

/** outDir: a check's temp dir, holding a copy of each suite's folder; by default the suites themselves. */
function buildAll(progs, outDir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-fixtures-'));
  try {
    for (const prog of progs) buildWasm(prog, outDir, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function build(progs) {
  buildAll(progs, undefined);
  for (const prog of progs) {
    const spec = `${prog.outDir}/${prog.name}.json`;
    if (!fs.existsSync(spec)) console.warn(`warning: no spec ${spec}`);
  }
  console.log(`built ${progs.length} fixtures into ${[...new Set(progs.map((p) => p.outDir))].join(' and ')}`);
  return 0;
}

function check(progs, filtered) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-fixtures-check-'));
  const bad = [];
  try {
    buildAll(progs, tmp);
    for (const prog of progs) {
      const committed = `${prog.outDir}/${prog.name}.wasm`;
      if (!fs.existsSync(committed)) {
        bad.push(`${committed} (missing)`);
      } else if (!fs.readFileSync(committed).equals(fs.readFileSync(path.join(tmp, prog.outDir, `${prog.name}.wasm`)))) {
        bad.push(`${committed} (differs from a fresh build)`);
      }
      if (!fs.existsSync(`${prog.outDir}/${prog.name}.json`)) bad.push(`${prog.outDir}/${prog.name}.json (missing)`);
    }
    if (!filtered) {
      const names = new Set(progs.map((p) => p.name));
      for (const [out, src] of [[OUT_DIR, SRC_DIR], [THREADS_OUT_DIR, THREADS_SRC_DIR]]) {
        for (const file of fs.readdirSync(out).sort()) {
          if (file.endsWith('.wasm') && !names.has(file.slice(0, -5))) bad.push(`${out}/${file} (no source in ${src})`);
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (bad.length) {
    console.error('fixtures are out of date (run `npm run fixtures`):');
    for (const b of bad) console.error(`  ${b}`);
    return 1;
  }
  console.log(`all ${progs.length} fixtures match a fresh build`);
  return 0;
}

// --- native run ------------------------------------------------------------

// A directory as a sorted plain object: files as base64 strings.
function snapshot(dir) {
  const out = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, entry.name);
    out[entry.name] = entry.isDirectory() ? snapshot(p) : fs.readFileSync(p).toString('base64');
  }
  return out;
}

function native(progs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-fixtures-native-'));
  const results = { pass: [], fail: [], skip: [] };
  try {
    for (const prog of progs) {
      if (prog.threads) {
        results.skip.push(prog.name);
        console.log(`SKIP ${prog.name} (wasi-threads: no native build of its start-up)`);
        continue;
      }
      if (WASI_ONLY[prog.name]) {
        results.skip.push(prog.name);
        console.log(`SKIP ${prog.name} (wasi-only: ${WASI_ONLY[prog.name]})`);
        continue;
      }
      const specPath = `${OUT_DIR}/${prog.name}.json`;
      if (!fs.existsSync(specPath)) {
        results.fail.push(prog.name);
        console.log(`FAIL ${prog.name}: no spec ${specPath}`);
        continue;
      }
      const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
      const bin = path.join(tmp, prog.name);
      mustRun(NATIVE_CC, [...COMMON_FLAGS, ...prog.defines, '-o', bin, prog.src]);
      const cwd = path.join(tmp, `${prog.name}.run`);
      fs.mkdirSync(cwd);
      const before = {};
      for (const d of spec.dirs ?? []) {
        fs.cpSync(`${OUT_DIR}/${d}`, path.join(cwd, d), { recursive: true });
        before[d] = snapshot(path.join(cwd, d));
      }
      const r = run(bin, spec.args ?? [], {
        cwd,
        env: spec.env ?? {},
        argv0: prog.name,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      const problems = [];
      const wantCode = spec.exit_code ?? 0;
      if (r.status !== wantCode) problems.push(`exit ${r.status ?? r.signal}, want ${wantCode}`);
      if (spec.stdout !== undefined && r.stdout !== spec.stdout) {
        problems.push(`stdout differs:\n--- got\n${r.stdout}--- want\n${spec.stdout}---`);
      }
      if (spec.stderr !== undefined && r.stderr !== spec.stderr) {
        problems.push(`stderr differs:\n--- got\n${r.stderr}--- want\n${spec.stderr}---`);
      }
      for (const d of spec.dirs ?? []) {
        if (JSON.stringify(snapshot(path.join(cwd, d))) !== JSON.stringify(before[d])) {
          problems.push(`directory ${d} changed`);
        }
      }
      if (problems.length) {
        results.fail.push(prog.name);
        console.log(`FAIL ${prog.name}: ${problems.join('; ')}`);
        if (r.stderr) console.log(r.stderr.trimEnd());
      } else {
        results.pass.push(prog.name);
        console.log(`PASS ${prog.name}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    `native: ${results.pass.length} passed, ${results.fail.length} failed, ${results.skip.length} skipped (wasi-only)`,
  );
  return results.fail.length ? 1 : 0;
}

// --- main ----------------------------------------------------------------

const USAGE = 'usage: node scripts/build-fixtures.mjs [--check | --native] [NAME ...]';
let values, only;
try {
  ({ values, positionals: only } = parseArgs({ options: { check: { type: 'boolean' }, native: { type: 'boolean' } }, allowPositionals: true }));
} catch (e) {
  console.error(`${e.message} (${USAGE})`);
  process.exit(2);
}
if (values.check && values.native) {
  console.error(`--check and --native are two different runs (${USAGE})`);
  process.exit(2);
}
const mode = values.check ? 'check' : values.native ? 'native' : 'build';
let progs = programs();
if (only.length) {
  const missing = only.filter((n) => !progs.some((p) => p.name === n));
  if (missing.length) {
    console.error(`no such fixture: ${missing.join(' ')}`);
    process.exit(2);
  }
  progs = progs.filter((p) => only.includes(p.name));
}

try {
  process.exitCode =
    mode === 'check' ? check(progs, only.length > 0) : mode === 'native' ? native(progs) : build(progs);
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
}
