// node examples/node/hello.mjs [NAME]: a WASI program with arguments, an environment and
// the process's own stdout.
import { readFile } from 'node:fs/promises';
import { WASI } from 'refwasi/node';

const wasi = new WASI({
  args: ['hello', process.argv[2] ?? 'world'],
  env: { GREETING: 'Hello' },
  stdout: 'inherit',
  stderr: 'inherit',
});
const module = await WebAssembly.compile(await readFile(new URL('hello.wasm', import.meta.url)));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
