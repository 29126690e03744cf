// The `refwasi` command: `refwasi run prog.wasm [--dir HOST[::GUEST]]... [--env K=V]...
// [--renumber strict|permissive] [-- args...]`, in the manner of `wasmtime run`.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { NodeDirectory, nodeStdio } from './backends/node';
import { NodeStdin } from './backends/node/stdin';
import { conformance } from './conformance/main';
import type { RenumberMode } from './descriptors/table';
import { WASI } from './wasi';

export const USAGE = 'usage: refwasi run <prog.wasm> [--dir HOST[::GUEST]]... [--env K=V]... [--renumber strict|permissive] [-- args...]';

/** Bad input: reported as one line and exit status 2. */
export class UsageError extends Error {}

export interface RunRequest {
  wasm: string;
  dirs: { host: string; guest: string }[];
  env: Record<string, string>;
  renumber: RenumberMode;
  args: string[];
}

export function parseArgs(argv: string[]): RunRequest {
  const [command, ...rest] = argv;
  if (command !== 'run') throw new UsageError(command === undefined ? USAGE : `unknown command '${command}' (${USAGE})`);
  const req: RunRequest = { wasm: '', dirs: [], env: {}, renumber: 'strict', args: [] };
  const value = (flag: string, i: number): string => {
    if (i >= rest.length) throw new UsageError(`${flag} needs a value`);
    return rest[i];
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      req.args.push(...rest.slice(i + 1));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') && !arg.startsWith('--env=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--dir') {
      const spec = inline ?? value(flag, ++i);
      const [host, guest] = spec.includes('::') ? spec.split('::', 2) : [spec, spec];
      if (!host || !guest) throw new UsageError(`bad --dir '${spec}': expected HOST or HOST::GUEST`);
      req.dirs.push({ host, guest });
    } else if (flag === '--env' || flag.startsWith('--env=')) {
      const spec = flag.startsWith('--env=') ? flag.slice(6) : value(flag, ++i);
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new UsageError(`bad --env '${spec}': expected K=V`);
      req.env[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (flag === '--renumber') {
      const mode = inline ?? value(flag, ++i);
      if (mode !== 'strict' && mode !== 'permissive') throw new UsageError(`bad --renumber '${mode}': expected strict or permissive`);
      req.renumber = mode;
    } else if (arg.startsWith('-') && arg !== '-') {
      if (req.wasm) req.args.push(arg); // after the program, unknown dashes belong to it
      else throw new UsageError(`unknown option '${arg}' (${USAGE})`);
    } else if (!req.wasm) {
      req.wasm = arg;
    } else {
      req.args.push(arg);
    }
  }
  if (!req.wasm) throw new UsageError(`no program given (${USAGE})`);
  return req;
}

const PROVIDED_MODULES = ['wasi_snapshot_preview1', 'wasix_32v1'];

/** Compiles the program and checks that refwasi provides every function it imports. */
export function loadModule(path: string, wasi: WASI): WebAssembly.Module {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new UsageError(`'${path}' is not a file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new UsageError(`'${path}' is not a WebAssembly module: ${(e as Error).message}`);
  }
  const provided = wasi.getImportObject() as Record<string, Record<string, unknown>>;
  // Only functions are provided: an imported memory, table or global would fail to link.
  const missing = WebAssembly.Module.imports(module)
    .filter((imp) => !(imp.kind === 'function' && PROVIDED_MODULES.includes(imp.module) && Object.hasOwn(provided[imp.module], imp.name)))
    .map((imp) => `${imp.module}.${imp.name}${imp.kind === 'function' ? '' : ` (${imp.kind})`}`);
  if (missing.length > 0) throw new UsageError(`'${basename(path)}' imports what refwasi does not provide: ${missing.join(', ')}`);
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new UsageError(`'${basename(path)}' is not a command: it exports no _start function`);
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) throw new UsageError(`'${basename(path)}' exports no memory`);
  return module;
}

/** Every message is exactly one line on stderr, whatever the error's message holds. */
function report(message: string): void {
  process.stderr.write(`refwasi: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** Runs the command; returns the process exit status. */
export function main(argv: string[]): number {
  if (argv[0] === 'conformance') return conformance(argv.slice(1));
  let wasi: WASI;
  let module: WebAssembly.Module;
  let req: RunRequest;
  try {
    req = parseArgs(argv);
    const preopens: Record<string, NodeDirectory> = {};
    for (const { host, guest } of req.dirs) {
      try {
        preopens[guest] = new NodeDirectory(host);
      } catch (e) {
        throw new UsageError(`--dir '${host}': ${(e as Error).message}`);
      }
    }
    const stdio = nodeStdio();
    wasi = new WASI({
      args: [basename(req.wasm), ...req.args], env: req.env, preopens, renumber: req.renumber,
      // Blocking stdin, as wasmtime's: EAGAIN from a non-blocking host fd 0 is waited out.
      stdin: new NodeStdin(0), stdout: stdio.stdout, stderr: stdio.stderr,
    });
    module = loadModule(req.wasm, wasi);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    report(e.message);
    return 2;
  }
  // A trap (in a start section or in _start): one line, and the status wasmtime uses for an
  // aborted program.
  const trapped = (e: unknown): number => {
    report(`${basename(req.wasm)} trapped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return 134;
  };
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError)) return trapped(e);
    // A provided function imported with another signature: the module does not fit refwasi.
    report(`cannot link '${basename(req.wasm)}': ${e.message}`);
    return 2;
  }
  try {
    return wasi.start(instance) & 0xff;
  } catch (e) {
    return trapped(e);
  } finally {
    // Silent output loss is the worst outcome of strict mode: say what happened, once.
    const refused = wasi.table.strictRefusals;
    if (refused > 0 && req.renumber === 'strict') {
      report(`note: ${refused} fd_renumber onto a free fd refused (EBADF) in strict mode; programs built with the wasmtime preview1 component adapter (Yosys, for one) need --renumber permissive`);
    }
  }
}
