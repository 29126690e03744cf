// node examples/node/wordcount.mjs [DIR]: a real directory preopened as `data` (DIR, or a
// fresh temporary one with an in.txt); the program reads data/in.txt and writes
// data/report.txt, which we read back from the host.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeDirectory, WASI } from 'refwasi/node';

let dir = process.argv[2];
if (dir === undefined) {
  dir = mkdtempSync(join(tmpdir(), 'wordcount-'));
  writeFileSync(join(dir, 'in.txt'), 'the quick brown fox\njumps over\nthe lazy dog\n');
}
const wasi = new WASI({
  args: ['wordcount'],
  preopens: { data: new NodeDirectory(dir) },   // the guest sees only this directory, as `data`
  stdout: 'inherit',
  stderr: 'inherit',
});
const module = await WebAssembly.compile(await readFile(new URL('wordcount.wasm', import.meta.url)));
const code = wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
if (code === 0) process.stdout.write(`report.txt: ${readFileSync(join(dir, 'report.txt'), 'utf8')}`);
process.exitCode = code;
