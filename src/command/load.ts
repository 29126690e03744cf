// Reads and checks the program before anything runs: every import must be one refwasi
// provides, and it must have what the run needs (_start, or the --invoke function; memory).
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { WASI } from '../wasi';
import { RunError, USAGE, UsageError } from './args';

const PROVIDED_MODULES = ['wasi_snapshot_preview1', 'wasix_32v1'];

/** Reads and compiles the program; checks that refwasi provides every function it imports and that it has what the run needs. */
export function loadModule(path: string, wasi: WASI, invoke?: string): { module: WebAssembly.Module; bytes: Uint8Array } {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new RunError(`'${path}' is not a file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof RunError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    // `refwasi frob`: most likely a mistyped command, not a file.
    if (code === 'ENOENT' && !/[./\\]/.test(path)) throw new UsageError(`unknown command or missing file '${path}' (${USAGE}; see refwasi --help)`);
    throw new RunError(`cannot read '${path}': ${code}`);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new RunError(`'${path}' is not a WebAssembly module: ${(e as Error).message}`);
  }
  const name = basename(path);
  const provided = wasi.getImportObject() as Record<string, Record<string, unknown>>;
  const imports = WebAssembly.Module.imports(module);
  // Only functions are provided: an imported memory, table or global would fail to link.
  const missing = imports
    .filter((imp) => !(imp.kind === 'function' && PROVIDED_MODULES.includes(imp.module) && Object.hasOwn(provided[imp.module], imp.name)))
    .map((imp) => `${imp.module}.${imp.name}${imp.kind === 'function' ? '' : ` (${imp.kind})`}`);
  if (missing.length > 0) throw new RunError(`'${name}' imports what refwasi does not provide: ${missing.join(', ')}`);
  const exported = WebAssembly.Module.exports(module);
  const exportsFunction = (f: string): boolean => exported.some((e) => e.name === f && e.kind === 'function');
  if (invoke !== undefined) {
    if (!exportsFunction(invoke)) throw new RunError(`'${name}' exports no function named '${invoke}'`);
  } else if (!exportsFunction('_start')) {
    throw new RunError(`'${name}' is not a command: it exports no _start function (call one of its functions with --invoke NAME)`);
  }
  // A program that calls WASI needs its memory; a pure function invoked alone does not.
  if (imports.length > 0 && !exported.some((e) => e.name === 'memory' && e.kind === 'memory')) throw new RunError(`'${name}' exports no memory`);
  return { module, bytes };
}

