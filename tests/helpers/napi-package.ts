// A real napi-rs wasm32-wasi package from npm (@tailwindcss/oxide-wasm32-wasi: Tailwind's
// file scanner, Rust on wasi-threads, loaded by @napi-rs/wasm-runtime and emnapi, which it
// bundles), fetched once with `npm pack` into node_modules/.cache, and a copy of it with
// the switch to refwasi that docs/threads.md gives applied to its two loader files.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from './packed';

export const OXIDE = '@tailwindcss/oxide-wasm32-wasi@4.3.5';
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'refwasi-napi');

/** Replaces `from` by `to` in `file`, refusing a file where `from` is not there exactly once. */
function patch(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`${path.basename(file)}: expected ${JSON.stringify(from)} once, found it ${count} times`);
  fs.writeFileSync(file, text.replace(from, to));
}

/**
 * The switch of docs/threads.md ("The napi-rs switch"): the main thread's loader makes one
 * WASI with `threads: true` and gives each worker a handle; the worker joins with
 * `WASI.fromThreadHandle` instead of making a WASI of its own. `testHooks` adds what only
 * the tests need: preopens from `globalThis.__refwasiPreopens`, and a shared counter of the
 * calls each worker makes, so a test can tell that the work ran on worker threads.
 */
export function applySwitch(dir: string, testHooks: boolean): void {
  const main = path.join(dir, 'tailwindcss-oxide.wasi.cjs');
  const worker = path.join(dir, 'wasi-worker.mjs');
  patch(main, "const { WASI: __nodeWASI } = require('node:wasi')", "const { WASI: __nodeWASI } = require('refwasi/node')");
  patch(main, "version: 'preview1',", "version: 'preview1', threads: true,");
  patch(main, 'env: process.env,\n    })', 'env: process.env, workerData: { wasiHandle: __wasi.threadHandle() },\n    })');
  patch(worker, 'import { WASI } from "node:wasi";', 'import { WASI } from "refwasi/node";');
  patch(worker, 'import { parentPort, Worker } from "node:worker_threads";', 'import { parentPort, Worker, workerData } from "node:worker_threads";');
  const text = fs.readFileSync(worker, 'utf8');
  const from = text.indexOf('    const wasi = (() => {');
  const to = text.indexOf('    })();', from);
  if (from < 0 || to < 0) throw new Error('wasi-worker.mjs: the WASI it makes is not where it was');
  fs.writeFileSync(worker, `${text.slice(0, from)}    const wasi = WASI.fromThreadHandle(workerData.wasiHandle);${text.slice(to + '    })();'.length)}`);
  if (!testHooks) return;
  patch(main, 'preopens: dir === null ? {} : { [dir]: dir },', 'preopens: globalThis.__refwasiPreopens ?? (dir === null ? {} : { [dir]: dir }),');
  patch(main, 'workerData: { wasiHandle: __wasi.threadHandle() }', 'workerData: { wasiHandle: __wasi.threadHandle(), calls: globalThis.__refwasiWorkerCalls }');
  patch(worker, '    const wasi = WASI.fromThreadHandle(workerData.wasiHandle);', `    const wasi = WASI.fromThreadHandle(workerData.wasiHandle);
    const counted = ['path_open', 'fd_read', 'fd_readdir'];
    if (workerData.calls) for (const [i, name] of counted.entries()) {
      const call = wasi.wasiImport[name];
      wasi.wasiImport[name] = (...args) => { Atomics.add(workerData.calls, i, 1); return call(...args); };
    }`);
}

/**
 * The package as npm has it (`original`) and with the switch (`switched`), each beside a
 * node_modules that resolves `refwasi` to this project's build.
 */
export function oxidePackage(): { original: string; switched: string } {
  ensureBuilt();
  const base = path.join(CACHE, OXIDE.replace(/[@/]/g, '_'));
  const original = path.join(base, 'original');
  if (!fs.existsSync(path.join(original, 'package.json'))) {
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    const out = execFileSync('npm', ['pack', OXIDE, '--pack-destination', base, '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = path.join(base, out.trim().split('\n').pop()!);
    fs.mkdirSync(path.join(base, 'unpack'));
    execFileSync('tar', ['-xzf', tarball, '-C', path.join(base, 'unpack')]);
    fs.renameSync(path.join(base, 'unpack', 'package'), original);
  }
  // `refwasi` resolves to this checkout's build (the cache may have been made by another checkout).
  const link = path.join(base, 'node_modules', 'refwasi');
  if (!fs.existsSync(link) || fs.realpathSync(link) !== fs.realpathSync(ROOT)) {
    fs.rmSync(link, { force: true });
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(ROOT, link, 'dir');
  }
  const switched = path.join(base, 'switched');
  fs.rmSync(switched, { recursive: true, force: true });
  fs.cpSync(original, switched, { recursive: true });
  applySwitch(switched, true);
  return { original, switched };
}
