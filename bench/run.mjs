#!/usr/bin/env node
// Benchmarks refwasi against node:wasi and @bjorn3/browser_wasi_shim, in one run.
//
//   npm run bench
//   node bench/run.mjs [--reps N] [--only seek,stat] [--impls refwasi-memory,...] [--no-write]
//
// Each workload is a C program (bench/c, compiled to bench/wasm by bench/build.mjs) that
// times its own loop with CLOCK_MONOTONIC and prints ns/op, so start-up is not measured.
// Every (program, implementation) pair runs --reps times, each in a fresh Node process,
// and the median counts. Pairs: refwasi MemoryDirectory vs browser_wasi_shim's in-memory
// PreopenDirectory, and refwasi NodeDirectory vs node:wasi over a real temp directory.
// Results: a table on stdout, bench/results/latest.json and bench/results/latest.md.
// refwasi is bundled from src/ with esbuild first (as scripts/build.mjs does for dist/esm),
// so what runs is the working tree; REFWASI_BUNDLE=file.mjs runs a given bundle instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

const IMPLS = {
  'refwasi-memory': { label: 'refwasi MemoryDirectory' },
  'browser_wasi_shim': { label: 'browser_wasi_shim 0.4.2 PreopenDirectory' },
  'refwasi-node': { label: 'refwasi NodeDirectory' },
  'node:wasi': { label: `node:wasi (Node ${process.versions.node})` },
};
const PAIRS = [
  { backend: 'memory', refwasi: 'refwasi-memory', peer: 'browser_wasi_shim' },
  { backend: 'host dir', refwasi: 'refwasi-node', peer: 'node:wasi' },
];

/**
 * One row per measurement. `args` are the program's argv after its name, per
 * implementation: iteration counts sized so a run's timed loop takes about 0.1-0.3 s.
 */
const WORKLOADS = [
  { name: 'fd_seek', prog: 'seek', result: 'fd_seek',
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [2e5] } },
  { name: 'fd_tell', prog: 'tell', result: 'fd_tell',
    args: { 'refwasi-memory': [1e6], 'browser_wasi_shim': [1e6], 'refwasi-node': [1e6], 'node:wasi': [2e5] } },
  { name: 'write 16 B', prog: 'write16', result: 'write_16B',
    args: { 'refwasi-memory': [3e5], 'browser_wasi_shim': [3e5], 'refwasi-node': [5e4], 'node:wasi': [5e4] } },
  // The shim copies the whole file on every append, so it gets few iterations: every one
  // of them (and every refwasi one) lands on a file of at least 4 MiB.
  { name: 'append 16 B at 4 MiB', prog: 'append16', result: 'append_16B',
    args: { 'refwasi-memory': [1e5, 4], 'browser_wasi_shim': [150, 4], 'refwasi-node': [4e4, 4], 'node:wasi': [4e4, 4] } },
  // Passes of 64 MiB each, after one warm-up pass (none for the shim: a pass takes it
  // seconds); at most 3 runs of each, which is where most of the whole benchmark's time goes.
  { name: 'write 1 MiB (64 MiB file)', prog: 'bulk', result: 'write_1MiB', bytes: 1 << 20, maxReps: 3,
    args: { 'refwasi-memory': [3, 1], 'browser_wasi_shim': [1, 0], 'refwasi-node': [2, 1], 'node:wasi': [2, 1] } },
  { name: 'read 1 MiB (64 MiB file)', prog: 'bulk', result: 'read_1MiB', bytes: 1 << 20, sameRunAs: 'write 1 MiB (64 MiB file)' },
  { name: 'open + close', prog: 'openclose', result: 'open_close',
    args: { 'refwasi-memory': [1e5], 'browser_wasi_shim': [5e4], 'refwasi-node': [1e4], 'node:wasi': [1e4] } },
  { name: 'open + close, 4 directories deep', prog: 'deep_open', result: 'deep_open_close',
    args: { 'refwasi-memory': [1e5], 'browser_wasi_shim': [5e4], 'refwasi-node': [1e4], 'node:wasi': [1e4] } },
  { name: 'readdir, per entry (1,000 files)', prog: 'readdir', result: 'readdir_entry',
    args: { 'refwasi-memory': [100], 'browser_wasi_shim': [3], 'refwasi-node': [20], 'node:wasi': [20] } },
  { name: 'stat', prog: 'stat', result: 'stat',
    args: { 'refwasi-memory': [1e5], 'browser_wasi_shim': [1e5], 'refwasi-node': [2e4], 'node:wasi': [2e4] } },
  // WASI has no dup: node:wasi and the shim cannot run this at all.
  { name: 'dup + close', prog: 'dup', result: 'dup_close', refwasiOnly: true,
    args: { 'refwasi-memory': [5e5], 'refwasi-node': [5e5] } },
];

// ---------------------------------------------------------------------------------------
// Worker: runs one program under one implementation; the guest's stdout is ours.

async function worker(impl, prog, args) {
  const wasmPath = path.join(here, 'wasm', `${prog}.wasm`);
  const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
  const argv = [prog, ...args];
  const out = (fd) => (chunk) => fs.writeSync(fd, chunk);
  let tmp = null;
  if (impl === 'refwasi-node' || impl === 'node:wasi') tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bench-'));
  let code;
  try {
    if (impl === 'refwasi-memory' || impl === 'refwasi-node') {
      const lib = await import(pathToFileURL(path.resolve(process.env.REFWASI_BUNDLE)).href);
      const dir = impl === 'refwasi-memory' ? new lib.MemoryDirectory() : new lib.NodeDirectory(tmp);
      const wasi = new lib.WASI({ args: argv, env: {}, preopens: { '/b': dir }, stdout: out(1), stderr: out(2) });
      const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
      code = wasi.start(instance);
    } else if (impl === 'browser_wasi_shim') {
      const shim = await import('@bjorn3/browser_wasi_shim');
      const fds = [
        new shim.OpenFile(new shim.File([])),
        new shim.ConsoleStdout(out(1)),
        new shim.ConsoleStdout(out(2)),
        new shim.PreopenDirectory('/b', new Map()),
      ];
      // debug defaults to on (console.log on every path call); off is the fair setting.
      const wasi = new shim.WASI(argv, [], fds, { debug: false });
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

// ---------------------------------------------------------------------------------------
// Parent: runs the workers, takes medians, prints and writes the results.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs prog under impl once; returns { results: {name: ns/op}, info: {SIZE, ENTRIES} }. */
function runOnce(impl, prog, args) {
  const r = spawnSync(process.execPath, ['--no-warnings', fileURLToPath(import.meta.url), '--worker', impl, prog, ...args.map(String)], {
    encoding: 'utf8', cwd: root, timeout: 120_000, maxBuffer: 1 << 20,
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

function parseArgs(argv) {
  const opts = { reps: 5, only: null, impls: null, write: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') opts.reps = Number(argv[++i]);
    else if (argv[i] === '--only') opts.only = argv[++i].split(',');
    else if (argv[i] === '--impls') opts.impls = argv[++i].split(',');
    else if (argv[i] === '--no-write') opts.write = false;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!(opts.reps >= 1)) throw new Error('--reps needs a positive number');
  return opts;
}

const runs = (reps) => `${reps} run${reps === 1 ? '' : 's'} of each program${reps > 3 ? ' (3 of bulk)' : ''}`;
const fmtNs = (ns) => (ns === null ? '—' : ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns.toFixed(1));
const fmtRatio = (r) => (r === null ? '—' : r >= 100 ? `${Math.round(r)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const gbps = (bytes, ns) => `${(bytes / ns).toPrecision(2)} GB/s`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
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
  try {
    await measure(opts, started);
  } finally {
    if (bundleDir !== null) fs.rmSync(bundleDir, { recursive: true, force: true });
  }
}

async function measure(opts, started) {
  const loadAtStart = os.loadavg()[0];
  const workloads = WORKLOADS.filter((w) => !opts.only || opts.only.some((o) => w.prog === o || w.name === o));
  // samples[prog][impl] = [{ results, info }, ...]
  const samples = {};
  for (const w of workloads) {
    if (w.sameRunAs || samples[w.prog]) continue;
    samples[w.prog] = {};
    const impls = Object.keys(w.args).filter((x) => !opts.impls || opts.impls.includes(x));
    for (const impl of impls) samples[w.prog][impl] = [];
    // Round robin, so a busy moment on the machine hits every implementation alike.
    for (let i = 0; i < Math.min(opts.reps, w.maxReps ?? Infinity); i++) {
      for (const impl of impls) samples[w.prog][impl].push(runOnce(impl, w.prog, w.args[impl]));
    }
    for (const impl of impls) {
      const m = median(samples[w.prog][impl].map((s) => Object.values(s.results)[0].nsPerOp));
      process.stderr.write(`  ${w.prog.padEnd(10)} ${impl.padEnd(18)} ${fmtNs(m)} ns/op\n`);
    }
  }

  if (opts.impls) return; // a partial run: the per-implementation lines above are the result
  const rows = [];
  for (const pair of PAIRS) {
    for (const w of workloads) {
      const runs = samples[w.prog];
      const stats = (impl) => {
        const s = runs[impl];
        if (!s) return null;
        const per = s.map((x) => x.results[w.result].nsPerOp);
        return { impl, nsPerOp: median(per), samples: per, args: WORKLOADS.find((x) => x.prog === w.prog && x.args).args[impl], info: s[0].info };
      };
      const a = stats(pair.refwasi);
      const b = w.refwasiOnly ? null : stats(pair.peer);
      let note = '';
      if (w.refwasiOnly) note = 'peers have no dup (WASI has none)';
      else if (w.bytes) note = `${gbps(w.bytes, a.nsPerOp)} vs ${gbps(w.bytes, b.nsPerOp)}`;
      else if (w.prog === 'append16') note = `file ends at ${(a.info.SIZE / 2 ** 20).toFixed(1)} vs ${(b.info.SIZE / 2 ** 20).toFixed(1)} MiB`;
      else if (w.prog === 'readdir' && a.info.ENTRIES !== b.info.ENTRIES) note = `${a.info.ENTRIES} vs ${b.info.ENTRIES} entries a listing`;
      rows.push({
        workload: w.name, backend: pair.backend, peer: w.refwasiOnly ? null : pair.peer,
        refwasi: a, other: b, ratio: b ? b.nsPerOp / a.nsPerOp : null, note,
      });
    }
  }

  const head = ['workload', 'backend', 'refwasi ns/op', 'peer', 'peer ns/op', 'peer/refwasi', 'note'];
  const table = rows.map((r) => [r.workload, r.backend, fmtNs(r.refwasi.nsPerOp), r.peer ?? '—', fmtNs(r.other?.nsPerOp ?? null), fmtRatio(r.ratio), r.note]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 && i !== 3 && i < 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  for (const t of table) console.log(line(t));
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${runs(opts.reps)}, medians; peer/refwasi > 1 means refwasi is faster. ${seconds.toFixed(0)} s.`);

  // Only a full run replaces the committed results.
  if (!opts.write || opts.only) return;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version, v8: process.versions.v8, tmpdir: os.tmpdir(),
    // The 1-minute load average when the run began and ended: others' work on the machine
    // inflates every wall-clock number, the peers' as much as refwasi's.
    loadAverage: [loadAtStart, os.loadavg()[0]].map((x) => Math.round(x * 100) / 100),
  };
  const json = {
    date: new Date().toISOString(), machine, reps: opts.reps, seconds,
    implementations: IMPLS,
    rows: rows.map((r) => ({
      workload: r.workload, backend: r.backend,
      refwasi: r.refwasi, peer: r.other ? { name: r.peer, ...r.other } : null,
      ratio: r.ratio, note: r.note,
    })),
  };
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  const md = [
    `Node ${process.version}, ${machine.cpu}, ${machine.cores} cores, ${machine.os}; ${runs(opts.reps)}, medians;`
      + ` load average ${machine.loadAverage.join(' → ')} during the run.`,
    'peer/refwasi > 1 means refwasi is faster.',
    '',
    '| workload | backend | refwasi ns/op | peer | peer ns/op | peer/refwasi | note |',
    '| --- | --- | ---: | --- | ---: | ---: | --- |',
    ...table.map((t) => `| ${t.join(' | ')} |`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'latest.md'), md);
  console.log('wrote bench/results/latest.json and bench/results/latest.md');
}

if (process.argv[2] === '--worker') {
  await worker(process.argv[3], process.argv[4], process.argv.slice(5));
} else {
  await main();
}
