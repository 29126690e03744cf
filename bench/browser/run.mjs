#!/usr/bin/env node
// Benchmarks OPFSDirectory in Chromium: what each WASI call costs through its server worker,
// next to refwasi's MemoryDirectory and browser_wasi_shim's in-memory PreopenDirectory, and
// next to the floors any OPFS design pays (a bare cross-worker round trip, the access
// handle's own read/write, createSyncAccessHandle), all in the same run.
//
//   npm run bench:browser                                 every row; prints the table
//   node bench/browser/run.mjs --write                    also writes bench/results/browser.{json,md}
//   node bench/browser/run.mjs --only seek,stat --reps 3  some programs (by program or row name)
//   node bench/browser/run.mjs --impls refwasi-opfs       some implementations
//
// The programs are bench/wasm/*.wasm (bench/c), which time their own loops and print
// `RESULT name ops ns ns_per_op`. Each (program, implementation) pair runs --reps times
// (default 5), each in a fresh dedicated worker of one page (bench/browser/bench.html), the
// implementations taking turns round by round (the order rotates each round), and the median
// counts. Pages load dist/esm/index.mjs, so `npm run build` runs first unless --no-build.
// Chromium is Debian's /usr/bin/chromium (REFWASI_CHROMIUM overrides), driven through
// playwright-core with a fresh profile (so an empty OPFS) that is removed afterwards.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const CHROMIUM = process.env.REFWASI_CHROMIUM ?? '/usr/bin/chromium';
// The browser tests' flags (tests/browser/browser.ts).
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

const IMPLS = {
  'refwasi-opfs': 'refwasi OPFSDirectory',
  // Only for builds that have the option (a server woken by Atomics.waitAsync or a message);
  // on others the first run answers "skipped" and the column is left out.
  'refwasi-opfs-message': "refwasi OPFSDirectory { wake: 'message' } (a postMessage per request)",
  'refwasi-memory': 'refwasi MemoryDirectory',
  'browser_wasi_shim': 'browser_wasi_shim 0.4.2 in-memory PreopenDirectory',
};
const OPFS = ['refwasi-opfs', 'refwasi-opfs-message'];

/**
 * One row per RESULT line. `args` per implementation (the message variant takes the OPFS
 * ones): sized so an OPFS run's timed loop takes about 0.1-0.5 s and an in-memory one about
 * 0.05-0.3 s. Every program also pays set-up that is not timed (noted where it is long).
 *
 * Left out: clock (no filesystem), dup and pipe (the shim has neither, and neither touches
 * the directory), tell (fd_seek's twin). Every program here runs on OPFS: none needs
 * symlinks, hard links or set times.
 */
const WORKLOADS = [
  // Seek and fdstat live in refwasi's open file description: no round trip.
  { name: 'fd_seek', prog: 'seek', result: 'fd_seek',
    args: { 'refwasi-opfs': [4e6], 'refwasi-memory': [4e6], 'browser_wasi_shim': [2e6] } },
  { name: 'fd_fdstat_get', prog: 'fdstat', result: 'fd_fdstat_get',
    args: { 'refwasi-opfs': [1e7], 'refwasi-memory': [1e7], 'browser_wasi_shim': [3e6] } },
  { name: 'write 16 B', prog: 'write16', result: 'write_16B',
    args: { 'refwasi-opfs': [3000], 'refwasi-memory': [1e6], 'browser_wasi_shim': [3e5] } },
  // The shim copies the whole file on every append (about 15 ms at 4 MiB): few iterations.
  { name: 'append 16 B at 4 MiB', prog: 'append16', result: 'append_16B',
    args: { 'refwasi-opfs': [3000, 4], 'refwasi-memory': [1e6, 4], 'browser_wasi_shim': [20, 4] } },
  // argv: timed passes, warm-up passes, MiB a pass. OPFS writes two 32 MiB passes after a
  // warm-up pass, memory ten of 64 MiB; the shim (which copies the file on each write) one
  // of 4 MiB without warm-up, so its number is a lower bound of what 64 MiB would cost.
  { name: 'write 64 KiB blocks', prog: 'bulk', result: 'write_64KiB', bytes: 1 << 16,
    args: { 'refwasi-opfs': [2, 1, 32], 'refwasi-memory': [10, 1], 'browser_wasi_shim': [1, 0, 4] } },
  { name: 'read 64 KiB blocks', prog: 'bulk', result: 'read_64KiB', bytes: 1 << 16, sameRunAs: 'bulk' },
  // Nobody else has the file open: every open makes an access handle and every close drops it.
  { name: 'open + close', prog: 'openclose', result: 'open_close',
    args: { 'refwasi-opfs': [150], 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4] } },
  { name: 'open + close, 4 directories deep', prog: 'deep_open', result: 'deep_open_close',
    args: { 'refwasi-opfs': [150], 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4] } },
  // 2,000 files a pass in a new directory, after a warm-up pass: OPFS makes 4,000 files a
  // run at about 2.5 ms each (10 s), so it runs in 3 rounds only, to keep a full run short.
  { name: 'create 2,000 files, per file', prog: 'create', result: 'create_file', opfsMaxReps: 3,
    args: { 'refwasi-opfs': [1], 'refwasi-memory': [10], 'browser_wasi_shim': [10] } },
  // Set-up (not timed) creates the 1,000 files: about 2.5 s on OPFS. A server that lists
  // on every call (about 1 µs an entry) takes 1 s here, one whose client keeps listings 0.1 s.
  { name: 'readdir, per entry (1,000 files)', prog: 'readdir', result: 'readdir_entry',
    args: { 'refwasi-opfs': [1000], 'refwasi-memory': [1000], 'browser_wasi_shim': [3] } },
  // The target stays open, so each open is a second open of an open file (no new handle).
  { name: 'path_open + fd_renumber', prog: 'renumber', result: 'open_renumber',
    args: { 'refwasi-opfs': [2000], 'refwasi-memory': [3e5], 'browser_wasi_shim': [5e4] } },
  // The file is not open: no access handle can give its size (a server that asks OPFS's
  // getFile() on every stat pays about 0.8 ms; one that remembers, a round trip).
  { name: 'stat', prog: 'stat', result: 'stat',
    args: { 'refwasi-opfs': [2500], 'refwasi-memory': [5e5], 'browser_wasi_shim': [1e5] } },
];
for (const w of WORKLOADS) if (w.args) w.args['refwasi-opfs-message'] = w.args['refwasi-opfs'];

/** Each floor is a job of its own (impl 'floor'); `results` are the RESULT names it prints. */
const FLOORS = [
  { prog: 'roundtrip_sync', results: ['roundtrip_sync'] },
  { prog: 'roundtrip_spin', results: ['roundtrip_spin'] },
  { prog: 'roundtrip_waitAsync', results: ['roundtrip_waitAsync'] },
  { prog: 'access', results: ['access_write_16B', 'access_read_16B'] },
  { prog: 'access_create_close', results: ['access_create_close'] },
];
const FLOOR_NOTES = {
  roundtrip_sync: 'SharedArrayBuffer ping-pong with a worker blocked in Atomics.wait',
  roundtrip_spin: 'the same, both sides spinning 2,000 loads of the state before they sleep',
  roundtrip_waitAsync: 'the same, answered from Atomics.waitAsync: each request goes through its event loop',
  access_write_16B: 'FileSystemSyncAccessHandle.write of 16 B, in the worker that holds it',
  access_read_16B: 'FileSystemSyncAccessHandle.read of 16 B, in the worker that holds it',
  access_create_close: 'createSyncAccessHandle + close of an existing file',
};

const USAGE = `usage: node bench/browser/run.mjs [--reps N] [--only prog,...] [--impls impl,...] [--write] [--no-build]
  --reps N     fresh workers per (program, implementation); the median counts (default 5)
  --only L     only these programs or rows (${[...new Set(WORKLOADS.map((w) => w.prog))].join(', ')}, or a row name)
  --impls L    only these implementations (${Object.keys(IMPLS).join(', ')})
  --write      also write bench/results/browser.json and browser.md (a full run only)
  --no-build   use dist/ as it is instead of running \`npm run build\` first
The floors are measured in every run.`;

function die(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function options(argv) {
  let v;
  try {
    v = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        reps: { type: 'string', default: '5' },
        only: { type: 'string' },
        impls: { type: 'string' },
        write: { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    die(e.message);
  }
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const reps = Number(v.reps);
  if (!Number.isInteger(reps) || reps < 1) die(`--reps needs a positive integer, not '${v.reps}'`);
  const list = (s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  const impls = v.impls === undefined ? Object.keys(IMPLS) : list(v.impls);
  if (impls.length === 0) die('--impls names no implementation');
  for (const i of impls) if (!(i in IMPLS)) die(`unknown implementation '${i}'`);
  const only = v.only === undefined ? null : list(v.only);
  for (const o of only ?? []) if (!WORKLOADS.some((w) => w.prog === o || w.name === o)) die(`no program or row '${o}'`);
  if (only?.length === 0) die('--only names no program');
  return { reps, impls, only, write: v.write, build: !v['no-build'], partial: only !== null || v.impls !== undefined };
}

/** `node examples/browser/serve.mjs --port 0 --also /bench/=bench`, once it says where it listens. */
function serve() {
  const child = spawn(process.execPath, [path.join(root, 'examples/browser/serve.mjs'), '--port', '0', '--also', '/bench/=bench'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start: ${out}${err}`)), 15_000);
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}: ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ url: m[1], stop: () => child.exitCode === null && child.kill('SIGTERM') });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The worker's stdout lines as { results: {name: nsPerOp}, info: {SIZE, ENTRIES}, stats }. */
function parse(lines) {
  const results = {};
  const info = {};
  let stats = null;
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f[0] === 'RESULT') results[f[1]] = Number(f[3]) / Number(f[2]);
    else if (f[0] === 'SIZE' || f[0] === 'ENTRIES') info[f[0]] = Number(f[1]);
    else if (f[0] === 'STATS') stats = JSON.parse(l.slice('STATS '.length));
  }
  return { results, info, stats };
}

const fmtNs = (ns) => (ns === null || ns === undefined ? '—' : ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns.toFixed(1));
const fmtRatio = (r) => (r === null || !Number.isFinite(r) ? '—' : r < 0.01 ? '< 0.01×' : r >= 100 ? `${Math.round(r)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const mbps = (bytes, ns) => `${Math.round((bytes / ns) * 1000).toLocaleString('en-US')} MB/s`;

async function main() {
  const opts = options(process.argv.slice(2));
  const started = Date.now();
  opts.loadAtStart = os.loadavg()[0];
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM}: install it with \`bash scripts/setup-debian.sh\` (or set REFWASI_CHROMIUM)`);
    process.exit(1);
  }
  if (opts.build) {
    // stdout stays the table: the build's output goes to stderr.
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (b.status !== 0) {
      console.error('npm run build failed');
      process.exit(1);
    }
  }
  if (!fs.existsSync(path.join(root, 'dist/esm/index.mjs'))) {
    console.error('dist/esm/index.mjs is missing: run without --no-build (or `npm run build`)');
    process.exit(1);
  }
  const { chromium } = await import('playwright-core');
  const served = await serve();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bench-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(new URL('/bench/browser/bench.html', served.url).href);
    await page.waitForFunction(() => window.pageReady === true, null, { timeout: 20_000 });
    if (!(await page.evaluate(() => window.isolated))) throw new Error('bench.html is not cross-origin isolated');
    // A persistent context has no Browser object to ask; the DevTools protocol knows.
    const cdp = await context.newCDPSession(page);
    const version = (await cdp.send('Browser.getVersion')).product;
    await cdp.detach();
    await measure(opts, page, version, started, pageErrors);
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    served.stop();
  }
}

async function measure(opts, page, version, started, pageErrors) {
  const selected = WORKLOADS.filter((w) => !opts.only || opts.only.some((o) => w.prog === o || w.name === o));
  // Programs to run (a row that shares its run names the program through sameRunAs).
  const programs = [...new Set(selected.map((w) => w.prog))].map((p) => WORKLOADS.find((w) => w.prog === p && w.args));
  // Groups take turns within a round; inside one, the order of implementations rotates by round.
  const groups = [
    ...programs.map((w) => Object.keys(IMPLS).filter((i) => opts.impls.includes(i)).map((impl) => ({
      impl, prog: w.prog, args: w.args[impl], maxReps: OPFS.includes(impl) ? w.opfsMaxReps ?? Infinity : Infinity,
    }))),
    FLOORS.map((f) => ({ impl: 'floor', prog: f.prog, args: [], maxReps: Infinity })),
  ];
  const samples = {}; // `${impl} ${prog}` -> parsed runs
  const errors = [];
  const skipped = {}; // impl -> why its runs were not made
  for (let round = 0; round < opts.reps; round++) {
    process.stderr.write(`round ${round + 1}/${opts.reps}`);
    for (const group of groups) {
      for (let k = 0; k < group.length; k++) {
        const job = group[(k + round) % group.length];
        if (round >= job.maxReps || job.impl in skipped) continue;
        const t0 = Date.now();
        const { impl, prog, args } = job;
        const r = await page.evaluate((j) => window.runOne(j), { impl, prog, args });
        process.stderr.write(` ${job.prog}/${job.impl} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
        if (r.skipped) {
          skipped[job.impl] = r.skipped;
          continue;
        }
        if (r.error) {
          errors.push(`${job.prog} under ${job.impl} (round ${round + 1}): ${r.error}`);
          continue;
        }
        (samples[`${job.impl} ${job.prog}`] ??= []).push({ ...parse(r.lines), args: job.args });
      }
    }
    process.stderr.write('\n');
  }
  const med = (impl, prog, result) => {
    const xs = (samples[`${impl} ${prog}`] ?? []).map((s) => s.results[result]).filter((x) => x !== undefined);
    return xs.length ? median(xs) : null;
  };
  const floors = {};
  for (const f of FLOORS) for (const name of f.results) floors[name] = med('floor', f.prog, name);

  const impls = Object.keys(IMPLS).filter((i) => opts.impls.includes(i) && !(i in skipped));
  const vsMessage = impls.includes('refwasi-opfs') && impls.includes('refwasi-opfs-message');
  const rows = selected.map((w) => {
    const ns = Object.fromEntries(impls.map((i) => [i, med(i, w.prog, w.result)]));
    const opfs = ns['refwasi-opfs'] ?? null;
    const msg = ns['refwasi-opfs-message'] ?? null;
    const runs = samples[`refwasi-opfs ${w.prog}`] ?? samples[`refwasi-opfs-message ${w.prog}`] ?? [];
    let note = '';
    if (w.bytes) note = impls.filter((i) => ns[i] !== null).map((i) => `${i.replace('refwasi-', '')} ${mbps(w.bytes, ns[i])}`).join(', ');
    else if (runs[0]?.stats) {
      // Making access handles is what opens cost most: how many one run made (set-up and warm-up too).
      const made = runs[0].stats.created;
      if (made > 2) note = `${made.toLocaleString('en-US')} access handles made a run`;
    }
    return {
      row: w.name, prog: w.prog, result: w.result, ns, args: Object.fromEntries(impls.map((i) => [i, (WORKLOADS.find((x) => x.prog === w.prog && x.args)).args[i]])),
      vsRoundtrip: opfs !== null && floors.roundtrip_sync ? opfs / floors.roundtrip_sync : null,
      opfsVsMessage: opfs !== null && msg !== null ? opfs / msg : null,
      samples: Object.fromEntries(impls.map((i) => [i, (samples[`${i} ${w.prog}`] ?? []).map((s) => s.results[w.result])])),
      note,
    };
  });

  const head = ['row', ...impls.map((i) => `${i} ns/op`), 'opfs ÷ roundtrip_sync', ...(vsMessage ? ['opfs ÷ opfs-message'] : []), 'note'];
  const table = rows.map((r) => [
    r.row, ...impls.map((i) => fmtNs(r.ns[i])), fmtRatio(r.vsRoundtrip), ...(vsMessage ? [fmtRatio(r.opfsVsMessage)] : []), r.note,
  ]);
  const md = (cells) => `| ${cells.join(' | ')} |`;
  const seconds = Math.round((Date.now() - started) / 1000);
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, os: `${os.type()} ${os.release()} ${os.arch()}`,
    // Others' work on the machine inflates every wall-clock number here: the 1-minute load
    // average when the run began and when it ended.
    loadAverage: [opts.loadAtStart, os.loadavg()[0]].map((x) => Math.round(x * 100) / 100),
  };
  const date = new Date().toISOString();
  const lines = [
    `${date.slice(0, 10)}, ${version}, Node ${process.version}, ${machine.cpu}, ${machine.cores} cores, ${machine.os}.`,
    `Medians of ${opts.reps} fresh workers per program and implementation${opts.reps > 3 ? ' (OPFS create: 3)' : ''}, taking turns round by round;`
      + ` ${seconds} s in all; load average ${machine.loadAverage.join(' → ')}.`,
    '"opfs ÷ roundtrip_sync": refwasi-opfs over the bare round trip (about how many round trips an op costs)'
      + (vsMessage ? '; "opfs ÷ opfs-message": refwasi-opfs over the same with { wake: \'message\' } (< 1: waitAsync is faster).' : '.'),
    ...Object.entries(skipped).map(([i, why]) => `${i} not measured: ${why}.`),
    '',
    md(head),
    md(head.map((_, i) => (i === 0 || i === head.length - 1 ? '---' : '---:'))),
    ...table.map(md),
    '',
    'Floors (ns per call; each run takes the fastest of 4 loops of at least 100 ms, then the median of runs):',
    '',
    ...FLOORS.flatMap((f) => f.results).map((n) => `- ${n}: ${fmtNs(floors[n])} ns (${FLOOR_NOTES[n]})`),
  ];
  if (errors.length) lines.push('', `${errors.length} runs failed:`, ...errors.map((e) => `- ${e}`));
  if (pageErrors.length) lines.push('', 'page errors:', ...pageErrors.map((e) => `- ${e}`));
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);

  if (opts.write) {
    if (opts.partial) {
      console.log('not writing bench/results: --write needs a full run (no --only or --impls)');
    } else {
      const dir = path.join(root, 'bench', 'results');
      fs.mkdirSync(dir, { recursive: true });
      const json = { date, chromium: version, node: process.version, machine, reps: opts.reps, seconds, implementations: IMPLS, skipped, floors, rows, errors };
      fs.writeFileSync(path.join(dir, 'browser.json'), `${JSON.stringify(json, null, 2)}\n`);
      fs.writeFileSync(path.join(dir, 'browser.md'), text);
      console.log('wrote bench/results/browser.json and bench/results/browser.md');
    }
  }
  if (errors.length || pageErrors.length) process.exitCode = 1;
}

await main();
