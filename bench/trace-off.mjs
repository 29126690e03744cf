#!/usr/bin/env node
// The syscall trace costs nothing when it is off: fd_seek (bench/wasm/seek.wasm, over a
// MemoryDirectory) timed with `new WASI({...})` and with `new WASI({ ..., trace: undefined })`,
// alternating, each run in a fresh Node process; medians. For scale, the same with a trace
// handler that does nothing (what tracing itself costs).
//
//   node bench/trace-off.mjs [--reps N] [--calls N]
//
// Prints a table; writes nothing. refwasi is bundled from src/ with esbuild first, so what
// runs is the working tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const MODES = {
  'no trace option': {},
  'trace: undefined': { trace: undefined },
  'trace: () => {} (on)': { trace: () => {} },
};

async function worker(mode, calls) {
  const lib = await import(pathToFileURL(process.env.REFWASI_BUNDLE).href);
  const module = await WebAssembly.compile(fs.readFileSync(path.join(here, 'wasm', 'seek.wasm')));
  let out = '';
  const wasi = new lib.WASI({
    args: ['seek', calls], env: {}, preopens: { '/b': new lib.MemoryDirectory() },
    stdout: (chunk) => { out += Buffer.from(chunk).toString(); }, stderr: (chunk) => process.stderr.write(chunk),
    ...MODES[mode],
  });
  const code = wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
  const f = out.split('\n').find((l) => l.startsWith('RESULT '))?.split(/\s+/);
  if (code !== 0 || !f) throw new Error(`seek failed (${code}): ${out}`);
  console.log(Number(f[3]) / Number(f[2]));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const USAGE = 'usage: node bench/trace-off.mjs [--reps N] [--calls N]';
  let values;
  try {
    ({ values } = parseArgs({ options: { reps: { type: 'string' }, calls: { type: 'string' } } }));
  } catch (e) {
    console.error(`${e.message} (${USAGE})`);
    process.exit(2);
  }
  const reps = Number(values.reps ?? 11);
  const calls = Number(values.calls ?? 1e6);
  if (!Number.isInteger(reps) || reps < 1 || !Number.isInteger(calls) || calls < 1) {
    console.error(`--reps and --calls take a whole number from 1 (${USAGE})`);
    process.exit(2);
  }
  const { build } = await import('esbuild');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-trace-bench-'));
  const bundle = path.join(dir, 'refwasi.mjs');
  try {
    await build({ entryPoints: [path.join(root, 'src/index.ts')], outfile: bundle, bundle: true, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'warning' });
    const samples = Object.fromEntries(Object.keys(MODES).map((m) => [m, []]));
    // Round robin: a busy moment on the machine hits every mode alike.
    for (let i = 0; i < reps; i++) {
      for (const mode of Object.keys(MODES)) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', mode, String(calls)], {
          encoding: 'utf8', env: { ...process.env, REFWASI_BUNDLE: bundle }, timeout: 300_000,
        });
        if (r.status !== 0) throw new Error(`worker (${mode}) failed: ${r.stdout}${r.stderr}`);
        samples[mode].push(Number(r.stdout.trim()));
      }
    }
    const base = median(samples['no trace option']);
    console.log(`fd_seek over MemoryDirectory, ${calls} calls a run, ${reps} fresh processes a mode, alternating; medians (Node ${process.version}, load ${os.loadavg()[0].toFixed(2)})`);
    console.log(`${'mode'.padEnd(24)} ${'ns/op'.padStart(8)}  ${'vs no option'.padStart(12)}  samples`);
    for (const [mode, xs] of Object.entries(samples)) {
      const m = median(xs);
      console.log(`${mode.padEnd(24)} ${m.toFixed(1).padStart(8)}  ${`${(m / base).toFixed(3)}×`.padStart(12)}  ${xs.map((x) => x.toFixed(1)).join(' ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') await worker(process.argv[3], process.argv[4]);
else await main();
