// node examples/node/redirect.mjs: a program that moves its stdout into a file with dup and
// dup2 (the wasix_32v1 extension), over an in-memory directory, and what the file holds after.
import { readFile } from 'node:fs/promises';
import { MemoryDirectory, WASI } from 'refwasi/node';

const data = MemoryDirectory.from({});
const wasi = new WASI({ args: ['redirect'], preopens: { data }, stdout: 'inherit', stderr: 'inherit' });
const module = await WebAssembly.compile(await readFile(new URL('redirect.wasm', import.meta.url)));
// getImportObject() has both modules: wasi_snapshot_preview1 and wasix_32v1 (dup, dup2, pipe).
const code = wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
const log = data.toTree()['log.txt'];
process.stdout.write(`log.txt: ${new TextDecoder().decode(log)}`);
process.exitCode = code;
