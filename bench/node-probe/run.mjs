#!/usr/bin/env node
// Measures the host calls NodeDirectory makes, through Node's fs (by /proc/self/fd/N/name,
// as refwasi does, and by absolute path, as an unsandboxed runtime would) against the same
// calls made natively by a minimal N-API addon (addon.c). The numbers behind the choice in
// docs/node.md. Needs a C compiler and Node's headers (Linux):
//
//   node bench/node-probe/run.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const headers = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node']
  .find((d) => fs.existsSync(path.join(d, 'node_api.h')));
if (!headers) throw new Error('Node headers (node_api.h) not found');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-probe-'));
try {
  const addonPath = path.join(tmp, 'addon.node');
  execFileSync(process.env.CC || 'cc', ['-O2', '-shared', '-fPIC', `-I${headers}`, path.join(here, 'addon.c'), '-o', addonPath]);
  const addon = createRequire(import.meta.url)(addonPath);
  fs.mkdirSync(path.join(tmp, 'a', 'b', 'c', 'd'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'file'), 'x');
  fs.writeFileSync(path.join(tmp, 'a', 'b', 'c', 'd', 'file'), 'x');
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
  const root = fs.openSync(tmp, O_RDONLY | O_DIRECTORY);
  const buf = new Float64Array(8);
  const big = { bigint: true, throwIfNoEntry: false };
  const out = fs.openSync(path.join(tmp, 'written'), 'w');
  const bytes16 = new Uint8Array(16).fill(0x61);
  const time = (f) => {
    for (let i = 0; i < 5000; i++) f();
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const n = 50_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      runs.push(Number(process.hrtime.bigint() - t0) / n);
    }
    return runs.sort((x, y) => x - y)[2];
  };
  const rows = [
    ['lstat, Node fs, /proc/self/fd/N/file', () => fs.lstatSync(`/proc/self/fd/${root}/file`, big)],
    ['lstat, Node fs, absolute path', () => fs.lstatSync(path.join(tmp, 'file'), big)],
    ['fstatat(N, "file"), addon', () => addon.fstatat(root, 'file', buf)],
    ['open + close, Node fs, /proc/self/fd/N/file', () => fs.closeSync(fs.openSync(`/proc/self/fd/${root}/file`, O_RDONLY | O_NOFOLLOW))],
    ['open + close, Node fs, absolute path', () => fs.closeSync(fs.openSync(path.join(tmp, 'file'), O_RDONLY | O_NOFOLLOW))],
    ['openat(N, "file") + close, addon', () => addon.close(addon.openat(root, 'file', O_RDONLY | O_NOFOLLOW))],
    ['fstat, Node fs', () => fs.fstatSync(root, big)],
    ['pwrite 16 B, addon call', () => addon.pwrite16(out, bytes16, 0)],
    ['pwrite 16 B, Node fs.writeSync', () => fs.writeSync(out, bytes16, 0, 16, 0)],
  ];
  console.log(`Node ${process.version}, ${os.cpus()[0]?.model}, load ${os.loadavg()[0].toFixed(2)}; median of 5 x 50,000 calls`);
  for (const [name, f] of rows) console.log(`${name.padEnd(48)} ${Math.round(time(f)).toString().padStart(6)} ns`);
  addon.pwriteLoop(out, 5000);
  const loop = [0, 1, 2, 3, 4].map(() => addon.pwriteLoop(out, 50_000)).sort((x, y) => x - y)[2];
  console.log(`${'pwrite 16 B, C loop (the system call alone)'.padEnd(48)} ${Math.round(loop).toString().padStart(6)} ns`);
  fs.closeSync(out);
  fs.closeSync(root);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
