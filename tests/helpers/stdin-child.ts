// Run by tests/stdin.test.ts in a child process (bundled by esbuild first): runs a wasm
// program (argv: its path, then its arguments) with refwasi/node's WASI and stdin, stdout and
// stderr 'inherit', so the program reads the child's real fd 0. Environment:
//   TOUCH_STDIN=1   touch process.stdin first: Node then makes a pipe or socket on fd 0
//                   non-blocking, so reads meet EAGAIN
// Reports on stderr, after the program's own: "eagain=N" (host reads that answered EAGAIN).
import fs = require('node:fs');
import { basename } from 'node:path';
import { WASI } from '../../src/node';

let eagain = 0;
const readSync = fs.readSync;
fs.readSync = function (this: unknown, ...args: Parameters<typeof fs.readSync>) {
  try {
    return (readSync as (...a: unknown[]) => number).apply(fs, args);
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') eagain++;
    throw e;
  }
} as typeof fs.readSync;

if (process.env.TOUCH_STDIN === '1') void process.stdin;

const [path, ...args] = process.argv.slice(2);
const bytes = fs.readFileSync(path);
const wasi = new WASI({ args: [basename(path), ...args], stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), wasi.getImportObject() as WebAssembly.Imports);
const code = wasi.start(instance);
fs.writeSync(2, `eagain=${eagain}\n`);
process.exit(code);
