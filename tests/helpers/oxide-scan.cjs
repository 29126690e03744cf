// Scans a project with Tailwind's oxide scanner (a napi-rs wasm32-wasi package) in a
// process of its own, and prints what it found as JSON. argv: the package's folder, the
// project's base path as the guest sees it, and "memory" to preopen a MemoryDirectory
// holding the project (read from the host path in argv[5]) at "/" instead of the host's "/".
const fs = require('node:fs');
const path = require('node:path');
const [pkg, base, mode, hostProject] = process.argv.slice(2);

const calls = new Int32Array(new SharedArrayBuffer(12));
globalThis.__refwasiWorkerCalls = calls;
if (mode === 'memory') {
  // The same module instance as the package's require('refwasi/node') (its node_modules links here).
  const { MemoryDirectory } = require(require.resolve('refwasi/node', { paths: [pkg] }));
  const treeOf = (dir) => Object.fromEntries(fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
    const p = path.join(dir, e.name);
    return [e.name, e.isDirectory() ? treeOf(p) : new Uint8Array(fs.readFileSync(p))];
  }));
  globalThis.__refwasiPreopens = { '/': MemoryDirectory.from({ project: treeOf(hostProject) }) };
}

const { Scanner } = require(pkg);
const scanner = new Scanner({ sources: [{ base, pattern: '**/*', negated: false }] });
const candidates = scanner.scan();
process.stdout.write(JSON.stringify({
  candidates: candidates.sort(),
  files: scanner.files.map((f) => path.relative(base, f)).sort(),
  workerCalls: { path_open: calls[0], fd_read: calls[1], fd_readdir: calls[2] },
}));
