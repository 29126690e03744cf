#!/usr/bin/env node
// Benchmarks refwasi against node:wasi and @bjorn3/browser_wasi_shim, with the floors each
// row is judged by, all in one run.
//
//   npm run bench                                  every row; prints the table, writes nothing
//   node bench/run.mjs --write                     the same, and rewrites bench/results/latest.*
//   node bench/run.mjs --only seek,bulk --reps 7   some programs (by program or row name)
//   node bench/run.mjs --impls refwasi-memory      some implementations (prints medians only)
//
// Each workload is a C program (bench/c, compiled to bench/wasm by bench/build.mjs) that
// times its own loop with CLOCK_MONOTONIC and prints ns/op, so start-up is not measured.
// Every (program, implementation) pair runs --reps times (default 5), each in a fresh Node
// process, implementations alternating round by round so a busy moment on the machine hits
// them alike, and the median counts. Pairs: refwasi MemoryDirectory vs browser_wasi_shim's
// in-memory PreopenDirectory, refwasi NodeDirectory vs node:wasi over a real temp directory.
// The floors (an empty import, an fd_seek-shaped import, a 64 MiB Uint8Array copy, a bare
// clock read) and the JS heap per descriptor are measured the same way, in the same rounds.
// More rows may live in bench/rows/*.mjs (each exports an array shaped like WORKLOADS).
// refwasi is bundled from src/ with esbuild first (as scripts/build.mjs does for dist/esm),
// so what runs is the working tree; REFWASI_BUNDLE=file.mjs runs a given bundle instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const MiB64 = 64 * 2 ** 20;

const IMPLS = {
  'refwasi-memory': { label: 'refwasi MemoryDirectory' },
  'browser_wasi_shim': { label: 'browser_wasi_shim 0.4.2 PreopenDirectory' },
  'refwasi-node': { label: 'refwasi NodeDirectory' },
  'refwasi-shim': { label: 'refwasi ShimWASI over browser_wasi_shim 0.4.2 objects (the bridge)' },
  'node:wasi': { label: `node:wasi (Node ${process.versions.node})` },
};
const PAIRS = [
  { backend: 'memory', refwasi: 'refwasi-memory', peer: 'browser_wasi_shim' },
  { backend: 'host dir', refwasi: 'refwasi-node', peer: 'node:wasi' },
  // The bridge: refwasi's table over the shim's own files, against the shim itself. File
  // bytes are the shim's (one array, copied to grow), so its rows take the shim's counts.
  { backend: 'shim bridge', refwasi: 'refwasi-shim', peer: 'browser_wasi_shim' },
];

/**
 * One row per measurement. `args` are the program's argv after its name, per implementation:
 * iteration counts sized so a run's timed loop takes about 0.1-0.3 s. `floor` names the floor
 * the row is divided by; `goal` is MemoryDirectory's target: at most `x` times the floor, at
 * most `ns`, or (for byte rows) at least `fraction` of the copy floor's throughput.
 */
const WORKLOADS = [
  { name: 'fd_seek', prog: 'seek', result: 'fd_seek', floor: 'seeklike', goal: { x: 3 },
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [2e5] } },
  { name: 'fd_tell', prog: 'tell', result: 'fd_tell', floor: 'seeklike', goal: { x: 3 },
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [2e5] } },
  { name: 'fd_fdstat_get', prog: 'fdstat', result: 'fd_fdstat_get', floor: 'seeklike', goal: { x: 3 },
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [2e5] } },
  { name: 'clock_time_get', prog: 'clock', result: 'clock_time_get', floor: 'clock', goal: { x: 1.2 },
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [1e6] } },
  { name: 'write 16 B', prog: 'write16', result: 'write_16B', floor: 'seeklike', goal: { x: 8 },
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [3e5], 'refwasi-node': [2e5], 'node:wasi': [2e5] } },
  // The shim copies the whole file on every append, so it gets few iterations: every one
  // of them (and every refwasi one) lands on a file of at least 4 MiB.
  { name: 'append 16 B at 4 MiB', prog: 'append16', result: 'append_16B', floor: 'seeklike', goal: { x: 8 },
    args: { 'refwasi-memory': [1e6, 4], 'browser_wasi_shim': [150, 4], 'refwasi-node': [1.5e5, 4], 'node:wasi': [1.5e5, 4] } },
  // Passes of 64 MiB each, after one warm-up pass. The shim copies
  // the whole file on every write, so it writes 4 MiB a pass (its cost per chunk only grows
  // with the file: what it shows is a lower bound of its 64 MiB cost).
  { name: 'write 64 MiB in 64 KiB', prog: 'bulk', result: 'write_64KiB', bytes: 1 << 16, floor: 'memcpy', goal: { fraction: 1 / 3 },
    args: { 'refwasi-memory': [3, 1], 'browser_wasi_shim': [1, 0, 4], 'refwasi-node': [2, 1], 'node:wasi': [2, 1] } },
  { name: 'read 64 MiB in 64 KiB', prog: 'bulk', result: 'read_64KiB', bytes: 1 << 16, floor: 'memcpy', goal: { fraction: 1 / 3 }, sameRunAs: 'bulk' },
  { name: 'open + close', prog: 'openclose', result: 'open_close', floor: 'empty', goal: { ns: 500 },
    args: { 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4], 'refwasi-node': [3e4], 'node:wasi': [3e4] } },
  { name: 'open + close, 4 directories deep', prog: 'deep_open', result: 'deep_open_close', floor: 'empty',
    args: { 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4], 'refwasi-node': [3e4], 'node:wasi': [3e4] } },
  { name: 'create 2,000 files, per file', prog: 'create', result: 'create_file', floor: 'empty', goal: { peer: true },
    args: { 'refwasi-memory': [10], 'browser_wasi_shim': [10], 'refwasi-node': [2], 'node:wasi': [2] } },
  { name: 'readdir, per entry (1,000 files)', prog: 'readdir', result: 'readdir_entry', floor: 'empty', goal: { ns: 200 },
    args: { 'refwasi-memory': [100], 'browser_wasi_shim': [3], 'refwasi-node': [20], 'node:wasi': [20] } },
  { name: 'path_open + fd_renumber', prog: 'renumber', result: 'open_renumber', floor: 'empty', goal: { ns: 600 },
    args: { 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4], 'refwasi-node': [3e4], 'node:wasi': [3e4] } },
  { name: 'stat', prog: 'stat', result: 'stat', floor: 'empty',
    args: { 'refwasi-memory': [3e5], 'browser_wasi_shim': [1e5], 'refwasi-node': [5e4], 'node:wasi': [5e4] } },
  // WASI has no dup or pipe: node:wasi and the shim cannot run these at all.
  { name: 'fd_dup + fd_close', prog: 'dup', result: 'dup_close', refwasiOnly: true, floor: 'seeklike',
    args: { 'refwasi-memory': [1e6], 'refwasi-node': [1e6] } },
  { name: 'pipe carrying 64 MiB in 64 KiB', prog: 'pipe', result: 'pipe_64KiB', bytes: 1 << 16, refwasiOnly: true, memoryOnly: true,
    floor: 'memcpy', args: { 'refwasi-memory': [3] } },
];

// The bridge runs what the shim runs, with the shim's counts (see PAIRS).
for (const w of WORKLOADS) if (w.args?.browser_wasi_shim) w.args['refwasi-shim'] ??= w.args.browser_wasi_shim;

/** Programs that are not rows of their own: the floors and the heap sizes. */
const FLOOR_PROG = 'floor';
const HEAP_PROG = 'heap';

async function extraWorkloads() {
  const dir = path.join(here, 'rows');
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.mjs')).sort()) {
    out.push(...(await import(pathToFileURL(path.join(dir, f)).href)).default);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Workers: one program under one implementation; the guest's stdout is ours.

async function loadRefwasi() {
  return import(pathToFileURL(path.resolve(process.env.REFWASI_BUNDLE)).href);
}

async function worker(impl, prog, args) {
  if (prog === FLOOR_PROG) return floorWorker(args);
  if (prog === HEAP_PROG) return heapWorker(Number(args[0]));
  const module = await WebAssembly.compile(fs.readFileSync(path.join(here, 'wasm', `${prog}.wasm`)));
  const argv = [prog, ...args];
  const out = (fd) => (chunk) => fs.writeSync(fd, chunk);
  let tmp = null;
  if (impl === 'refwasi-node' || impl === 'node:wasi') tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bench-'));
  let code;
  try {
    if (impl === 'refwasi-memory' || impl === 'refwasi-node') {
      const lib = await loadRefwasi();
      const dir = impl === 'refwasi-memory' ? new lib.MemoryDirectory() : new lib.NodeDirectory(tmp);
      const wasi = new lib.WASI({ args: argv, env: {}, preopens: { '/b': dir }, stdout: out(1), stderr: out(2) });
      const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
      code = wasi.start(instance);
    } else if (impl === 'browser_wasi_shim' || impl === 'refwasi-shim') {
      const shim = await import('@bjorn3/browser_wasi_shim');
      const fds = [
        new shim.OpenFile(new shim.File([])),
        new shim.ConsoleStdout(out(1)),
        new shim.ConsoleStdout(out(2)),
        new shim.PreopenDirectory('/b', new Map()),
      ];
      // debug defaults to on (console.log on every path call); off is the fair setting.
      const wasi = impl === 'refwasi-shim' ? new (await loadRefwasi()).ShimWASI(argv, [], fds) : new shim.WASI(argv, [], fds, { debug: false });
      const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
      code = wasi.start(instance);
    } else if (impl === 'node:wasi') {
      const { WASI } = await import('node:wasi');
      const wasi = new WASI({ version: 'preview1', args: argv, env: {}, preopens: { '/b': tmp } });
      const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
      code = wasi.start(instance);
    } else {
      throw new Error(`unknown implementation ${impl}`);
    }
  } finally {
    if (tmp !== null) fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exitCode = code;
}

/** Times f() n times after a tenth of that as warm-up; ns per call. */
function timeLoop(n, f) {
  for (let i = 0; i < n / 10; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * The floors: the two import shapes (floor.wasm, under refwasi for its clock and stdout),
 * a 64 MiB Uint8Array.prototype.set between buffers already touched, and the clock read
 * clock_time_get(MONOTONIC) needs in Node, made from JS.
 */
async function floorWorker(args) {
  const lib = await loadRefwasi();
  const n = Number(args[0] ?? 1e6);
  let view = new DataView(new ArrayBuffer(8));
  const bench = {
    empty() {},
    empty_i64(_value) {},
    seeklike(_fd, offset, _whence, ptr) {
      view.setBigUint64(ptr, offset, true);
      return 0;
    },
  };
  const module = await WebAssembly.compile(fs.readFileSync(path.join(here, 'wasm', 'floor.wasm')));
  const wasi = new lib.WASI({ args: ['floor', String(n)], env: {}, stdout: (c) => fs.writeSync(1, c), stderr: (c) => fs.writeSync(2, c) });
  // The JS floors first, each the fastest of 5 loops, as floor.wasm times its own.
  // The read clock_time_get(MONOTONIC) makes in Node: process.hrtime()'s [s, ns] (no BigInt).
  const hr = process.hrtime;
  let sink = 0;
  const clockNs = Math.min(...[0, 1, 2, 3, 4].map(() => timeLoop(n, () => { sink += hr()[1]; })));
  console.log(`RESULT floor_clock ${n} ${Math.round(clockNs * n)} ${clockNs}${sink === 0 ? ' ' : ''}`);
  let bigSink = 0n;
  const bigNs = Math.min(...[0, 1, 2, 3, 4].map(() => timeLoop(n, () => { bigSink += hr.bigint(); })));
  console.log(`RESULT floor_clock_bigint ${n} ${Math.round(bigNs * n)} ${bigNs}${bigSink === 0n ? ' ' : ''}`);
  const instance = await WebAssembly.instantiate(module, { ...wasi.getImportObject(), bench });
  view = new DataView(instance.exports.memory.buffer);
  wasi.start(instance);

  const src = new Uint8Array(MiB64).fill(7);
  const dst = new Uint8Array(MiB64).fill(1);
  const copies = 8;
  dst.set(src);
  let copyNs = Infinity;
  for (let i = 0; i < copies; i++) {
    const t0 = process.hrtime.bigint();
    dst.set(src);
    copyNs = Math.min(copyNs, Number(process.hrtime.bigint() - t0));
  }
  console.log(`RESULT floor_memcpy 1024 ${Math.round(copyNs)} ${copyNs / 1024}`);
}

/**
 * JS heap held per open descriptor (path_open of one file, n times) and per dup (fd_dup of
 * one fd, n times), each in a WASI object of its own, after full GCs before and after. Calls
 * the imports as a guest would. Everything measured is kept reachable to the end.
 */
async function heapWorker(n) {
  if (typeof globalThis.gc !== 'function') throw new Error('the heap worker needs --expose-gc');
  const lib = await loadRefwasi();
  const heap = () => {
    for (let i = 0; i < 4; i++) globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const setup = () => {
    const wasi = new lib.WASI({ preopens: { '/b': lib.MemoryDirectory.from({ f: 'x' }) }, maxDescriptors: n + 16 });
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.setMemory(memory);
    new Uint8Array(memory.buffer).set([0x66], 64); // the path "f" at 64
    return { wasi, memory, p: wasi.getImportObject().wasi_snapshot_preview1, x: wasi.getImportObject().wasix_32v1 };
  };
  const RIGHTS = 2n; // FD_READ
  const kept = [];
  const open = setup();
  kept.push(open);
  let before = heap();
  for (let i = 0; i < n; i++) if (open.p.path_open(3, 0, 64, 1, 0, RIGHTS, 0n, 0, 0) !== 0) throw new Error('path_open');
  const perOpen = (heap() - before) / n;
  const dup = setup();
  kept.push(dup);
  if (dup.p.path_open(3, 0, 64, 1, 0, RIGHTS, 0n, 0, 0) !== 0) throw new Error('path_open');
  const fd = new DataView(dup.memory.buffer).getUint32(0, true);
  before = heap();
  for (let i = 0; i < n; i++) if (dup.x.fd_dup(fd, 8) !== 0) throw new Error('fd_dup');
  const perDup = (heap() - before) / n;
  if (kept.some((k) => k.wasi.table.size < n)) throw new Error('descriptors went missing');
  console.log(`RESULT heap_open ${n} ${Math.round(perOpen * n)} ${perOpen}`);
  console.log(`RESULT heap_dup ${n} ${Math.round(perDup * n)} ${perDup}`);
}

// ---------------------------------------------------------------------------------------
// Parent: runs the workers, takes medians, prints (and maybe writes) the results.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs prog under impl once; returns { results: {name: {ops, ns, nsPerOp}}, info: {SIZE, ENTRIES} }. */
function runOnce(impl, prog, args) {
  const flags = ['--no-warnings', ...(prog === HEAP_PROG ? ['--expose-gc'] : [])];
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--worker', impl, prog, ...args.map(String)], {
    encoding: 'utf8', cwd: root, timeout: 180_000, maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`${prog} under ${impl} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}${r.stderr}`);
  }
  const results = {};
  const info = {};
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'RESULT') results[f[1]] = { ops: Number(f[2]), ns: Number(f[3]), nsPerOp: Number(f[3]) / Number(f[2]) };
    else if (f[0] === 'SIZE' || f[0] === 'ENTRIES') info[f[0]] = Number(f[1]);
  }
  return { results, info };
}

const USAGE = `usage: node bench/run.mjs [--reps N] [--only prog,...] [--impls impl,...] [--write]
  --reps N     fresh processes per (program, implementation); the median counts (default 5)
  --only L     only these programs or rows (comma-separated: seek, bulk, "fd_seek", ...)
  --impls L    only these implementations (${Object.keys(IMPLS).join(', ')}); prints medians only
  --write      also rewrite bench/results/latest.json and latest.md (a full run only)`;

function options(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        reps: { type: 'string', default: '5' },
        only: { type: 'string' },
        impls: { type: 'string' },
        write: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const reps = Number(parsed.reps);
  if (!Number.isInteger(reps) || reps < 1) {
    console.error(`--reps needs a positive integer, not ${parsed.reps}\n${USAGE}`);
    process.exit(2);
  }
  const impls = parsed.impls ? parsed.impls.split(',') : null;
  for (const impl of impls ?? []) {
    if (!(impl in IMPLS)) {
      console.error(`unknown implementation ${impl}\n${USAGE}`);
      process.exit(2);
    }
  }
  return { reps, only: parsed.only ? parsed.only.split(',') : null, impls, write: parsed.write };
}

const fmtNs = (ns) => (ns === null || ns === undefined ? '—' : ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns.toFixed(1));
const fmtRatio = (r) => (r === null ? '—' : r >= 100 ? `${Math.round(r)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const gbps = (bytes, ns) => `${(bytes / ns).toPrecision(2)} GB/s`;

async function main() {
  const opts = options(process.argv.slice(2));
  const started = Date.now();
  let bundleDir = null;
  if (!process.env.REFWASI_BUNDLE) {
    const { build } = await import('esbuild');
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bench-bundle-'));
    process.env.REFWASI_BUNDLE = path.join(bundleDir, 'refwasi.mjs');
    await build({
      entryPoints: [path.join(root, 'src/node.ts')], outfile: process.env.REFWASI_BUNDLE,
      bundle: true, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'warning',
    });
  }
  // The bundle lives in a temp directory, away from the package root where NodeDirectory looks
  // for its native addon: name the built addon (REFWASI_NATIVE=0 measures the pure-JS path).
  const addon = path.join(root, 'native', 'build', 'Release', 'refwasi_native.node');
  if (process.env.REFWASI_NATIVE === undefined && fs.existsSync(addon)) process.env.REFWASI_NATIVE = addon;
  console.log(`NodeDirectory host calls: ${process.env.REFWASI_NATIVE === '0' || !fs.existsSync(addon) ? "Node's fs" : 'native addon'}`);
  try {
    await measure(opts, started);
  } finally {
    if (bundleDir !== null) fs.rmSync(bundleDir, { recursive: true, force: true });
  }
}

/** What a row's goal asks, and whether refwasi's median meets it. */
function judge(w, a, b, floorNs) {
  const g = w.goal;
  if (!g) return { goal: '', met: null };
  if (g.x !== undefined) return { goal: `≤ ${g.x}× floor`, met: a.nsPerOp <= g.x * floorNs };
  if (g.ns !== undefined) return { goal: `< ${g.ns} ns`, met: a.nsPerOp < g.ns && (!b || a.nsPerOp < b.nsPerOp) };
  if (g.fraction !== undefined) return { goal: `≥ ${g.fraction.toFixed(2)} of copy`, met: floorNs / a.nsPerOp >= g.fraction };
  if (g.peer) return { goal: 'ahead of peer', met: b ? a.nsPerOp < b.nsPerOp : null };
  return { goal: '', met: null };
}

/** NodeDirectory's goals against node:wasi: 10× where the state lives in the description, else at least even. */
const DESCRIPTION_ONLY = new Set(['fd_seek', 'fd_tell', 'fd_fdstat_get']);
function judgeHost(w, b) {
  if (!b || w.refwasiOnly) return { goal: '', met: null };
  const x = DESCRIPTION_ONLY.has(w.name) ? 10 : 1;
  return { goal: `≥ ${x}× node:wasi`, met: (r) => r >= x };
}

/** The README's table: one line a workload, MemoryDirectory against the shim, NodeDirectory against node:wasi. */
function readmeTable(rows, stamp) {
  const byName = new Map();
  for (const r of rows) {
    if (!byName.has(r.workload)) byName.set(r.workload, {});
    byName.get(r.workload)[r.backend] = r;
  }
  const cell = (r) => (r ? `${fmtNs(r.refwasi.nsPerOp)} ns` : '—');
  const vs = (r) => (r && r.ratio !== null ? `${fmtRatio(r.ratio)}${r.met === false ? ' (goal not met)' : ''}` : '—');
  const lines = [
    stamp,
    '',
    '| workload | MemoryDirectory | vs browser_wasi_shim | NodeDirectory | vs node:wasi |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, b] of byName) lines.push(`| ${name} | ${cell(b.memory)} | ${vs(b.memory)} | ${cell(b['host dir'])} | ${vs(b['host dir'])} |`);
  return lines.join('\n');
}

/** Replaces what lies between the README's bench markers. */
function writeReadmeTable(text) {
  const file = path.join(root, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:start (written by `node bench/run.mjs --write`) -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) {
    console.log('README.md has no bench markers: its table is not written');
    return;
  }
  fs.writeFileSync(file, `${readme.slice(0, i + start.length)}\n${text}\n${readme.slice(j)}`);
}

async function measure(opts, started) {
  const loadAtStart = os.loadavg()[0];
  const all = [...WORKLOADS, ...(await extraWorkloads())];
  const selected = all.filter((w) => !opts.only || opts.only.some((o) => w.prog === o || w.name === o));
  const programs = [];
  for (const w of selected) if (!w.sameRunAs && w.args && !programs.some((p) => p.prog === w.prog)) programs.push(w);
  for (const w of selected) {
    if (w.sameRunAs && !programs.some((p) => p.prog === w.prog)) programs.push(all.find((x) => x.prog === w.prog && x.args));
  }
  const withFloors = !opts.impls;
  // Round robin: every round runs each program under each implementation once, floors too.
  const samples = {};
  const jobs = [];
  for (const w of programs) {
    samples[w.prog] = {};
    for (const impl of Object.keys(w.args).filter((x) => !opts.impls || opts.impls.includes(x))) {
      samples[w.prog][impl] = [];
      jobs.push({ prog: w.prog, impl, args: w.args[impl], max: w.maxReps ?? Infinity });
    }
  }
  if (withFloors) {
    samples[FLOOR_PROG] = { refwasi: [] };
    samples[HEAP_PROG] = { refwasi: [] };
    jobs.push({ prog: FLOOR_PROG, impl: 'refwasi', args: [1e6], max: Infinity });
    jobs.push({ prog: HEAP_PROG, impl: 'refwasi', args: [1e5], max: Infinity });
  }
  for (let round = 0; round < opts.reps; round++) {
    process.stderr.write(`round ${round + 1}/${opts.reps}\n`);
    for (const job of jobs) if (round < job.max) samples[job.prog][job.impl].push({ ...runOnce(job.impl, job.prog, job.args), args: job.args });
  }
  const med = (prog, impl, result) => {
    const s = samples[prog]?.[impl];
    if (!s || s.length === 0) return null;
    const per = s.map((x) => x.results[result]?.nsPerOp).filter((x) => x !== undefined);
    return per.length ? { nsPerOp: median(per), samples: per, info: s[0].info } : null;
  };

  if (!withFloors) {
    for (const w of selected) {
      for (const impl of Object.keys(samples[w.prog] ?? {})) {
        const m = med(w.prog, impl, w.result);
        if (m) console.log(`${w.name.padEnd(34)} ${impl.padEnd(18)} ${fmtNs(m.nsPerOp)} ns/op`);
      }
    }
    return;
  }

  const floors = {
    empty: med(FLOOR_PROG, 'refwasi', 'floor_empty').nsPerOp,
    seeklike: med(FLOOR_PROG, 'refwasi', 'floor_seeklike').nsPerOp,
    // ns per 64 KiB copied: the unit of every byte row.
    memcpy: med(FLOOR_PROG, 'refwasi', 'floor_memcpy').nsPerOp,
    clock: med(FLOOR_PROG, 'refwasi', 'floor_clock').nsPerOp,
    i64Arg: med(FLOOR_PROG, 'refwasi', 'floor_i64_arg').nsPerOp,
    clockBigint: med(FLOOR_PROG, 'refwasi', 'floor_clock_bigint').nsPerOp,
  };
  const heap = {
    perOpenDescriptor: med(HEAP_PROG, 'refwasi', 'heap_open').nsPerOp,
    perDup: med(HEAP_PROG, 'refwasi', 'heap_dup').nsPerOp,
  };

  const rows = [];
  for (const pair of PAIRS) {
    for (const w of selected) {
      if (w.memoryOnly && pair.backend !== 'memory') continue;
      const a = med(w.prog, pair.refwasi, w.result);
      if (!a) continue;
      const b = w.refwasiOnly ? null : med(w.prog, pair.peer, w.result);
      const floorNs = w.floor ? floors[w.floor] : null;
      let { goal, met } = pair.backend === 'memory' ? judge(w, a, b, floorNs) : pair.backend === 'host dir' ? judgeHost(w, b) : { goal: '', met: null };
      if (typeof met === 'function') met = met(b.nsPerOp / a.nsPerOp);
      let note = '';
      if (w.refwasiOnly) note = 'peers have no dup or pipe (WASI has none)';
      if (w.bytes) {
        const shortPeer = b && samples[w.prog][pair.peer][0].args?.[2];
        note = `${gbps(w.bytes, a.nsPerOp)}${b ? ` vs ${gbps(w.bytes, b.nsPerOp)}${shortPeer ? ` (${shortPeer} MiB file)` : ''}` : ''}; copy ${gbps(1 << 16, floors.memcpy)}`;
      }
      else if (w.prog === 'append16' && b) note = `file ends at ${(a.info.SIZE / 2 ** 20).toFixed(1)} vs ${(b.info.SIZE / 2 ** 20).toFixed(1)} MiB`;
      else if (w.prog === 'readdir' && b && a.info.ENTRIES !== b.info.ENTRIES) note = `${a.info.ENTRIES} vs ${b.info.ENTRIES} entries a listing`;
      rows.push({
        workload: w.name, backend: pair.backend, peer: b ? pair.peer : null, refwasi: a, other: b,
        floor: w.floor ?? null, floorRatio: floorNs ? (w.bytes ? floorNs / a.nsPerOp : a.nsPerOp / floorNs) : null,
        ratio: b ? b.nsPerOp / a.nsPerOp : null, goal, met, note, bytes: w.bytes ?? null,
      });
    }
  }

  const head = ['workload', 'backend', 'refwasi ns/op', 'vs floor', 'peer', 'peer ns/op', 'peer/refwasi', 'goal', 'met', 'note'];
  const table = rows.map((r) => [
    r.workload, r.backend, fmtNs(r.refwasi.nsPerOp),
    r.floorRatio === null ? '—' : r.bytes ? `${r.floorRatio.toFixed(2)} of copy` : `${fmtRatio(r.floorRatio)} ${r.floor}`,
    r.peer ?? '—', fmtNs(r.other?.nsPerOp), fmtRatio(r.ratio), r.goal, r.met === null ? '' : r.met ? 'yes' : 'NO', r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const numeric = new Set([2, 3, 5, 6]);
  const line = (cells) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  for (const t of table) console.log(line(t));
  const floorLine = `floors: empty import ${fmtNs(floors.empty)} ns (${fmtNs(floors.i64Arg)} ns with an i64 argument), fd_seek-shaped import ${fmtNs(floors.seeklike)} ns, `
    + `clock read ${fmtNs(floors.clock)} ns (process.hrtime(); .bigint() ${fmtNs(floors.clockBigint)} ns), Uint8Array.prototype.set ${gbps(1 << 16, floors.memcpy)}`;
  const heapLine = `JS heap: ${Math.round(heap.perOpenDescriptor)} bytes per open descriptor, ${Math.round(heap.perDup)} bytes per dup (over 100,000 each)`;
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${floorLine}\n${heapLine}`);
  console.log(`${opts.reps} fresh processes per program and implementation, alternating; medians.`
    + ` peer/refwasi > 1 means refwasi is faster. ${seconds.toFixed(0)} s.`);

  if (!opts.write) return;
  if (opts.only) {
    console.log('not writing bench/results: --write needs a full run (no --only)');
    return;
  }
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, v8: process.versions.v8, tmpdir: os.tmpdir(),
    // The 1-minute load average when the run began and ended: others' work on the machine
    // inflates every wall-clock number, the peers' as much as refwasi's.
    loadAverage: [loadAtStart, os.loadavg()[0]].map((x) => Math.round(x * 100) / 100),
  };
  const date = new Date().toISOString();
  const json = {
    date, machine, reps: opts.reps, seconds, implementations: IMPLS, floors, heap,
    rows: rows.map((r) => ({
      workload: r.workload, backend: r.backend, refwasi: r.refwasi, peer: r.other ? { name: r.peer, ...r.other } : null,
      floor: r.floor, floorRatio: r.floorRatio, ratio: r.ratio, goal: r.goal, met: r.met, note: r.note,
    })),
  };
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  const md = [
    `${date.slice(0, 10)}, Node ${process.version}, ${machine.cpu}, ${machine.cores} cores, ${machine.os};`
      + ` ${opts.reps} fresh processes each, alternating, medians; load average ${machine.loadAverage.join(' → ')} during the run.`,
    'peer/refwasi > 1 means refwasi is faster; "vs floor" is the row over its floor (byte rows: the fraction of copy speed).',
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (numeric.has(i) ? '---:' : '---')).join(' | ')} |`,
    ...table.map((t) => `| ${t.join(' | ')} |`),
    '',
    `${floorLine}.`,
    '',
    `${heapLine}.`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'latest.md'), md);
  writeReadmeTable(readmeTable(rows, `${date.slice(0, 10)}, Node ${process.version}, ${machine.cpu}, ${machine.cores} cores;`
    + ` medians of ${opts.reps} fresh processes each, alternating; "vs" > 1 means refwasi is faster.`));
  console.log('wrote bench/results/latest.json, bench/results/latest.md and the table in README.md');
}

if (process.argv[2] === '--worker') {
  // Internal: the parent runs each measurement as `run.mjs --worker IMPL PROG ARGS...`.
  await worker(process.argv[3], process.argv[4], process.argv.slice(5));
} else {
  await main();
}
