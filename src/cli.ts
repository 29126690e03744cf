// The `refwasi` command, with wasmtime's manners:
//   refwasi [run] [OPTIONS] WASM [ARGS...]      everything after WASM goes to the program
//   refwasi --help | --version
// Exit status: the program's own; 134 for a trap (as an abort on Unix); 2 for a bad command
// line; 1 when the program cannot be run (unreadable, not wasm, imports refwasi lacks).
// The command line is read in command/args.ts, the program checked in command/load.ts.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ProcExit } from './abi/errors';
import { NodeDirectory, nodeStdio } from './backends/node';
import { NodeStdin } from './backends/node/stdin';
import { HELP, parseCommandLine, RunError, UsageError, type RunRequest } from './command/args';
import { formatResults, InvokeError, invokeParams } from './command/invoke';
import { loadModule } from './command/load';
import { exportedFunctionTypes } from './command/signature';
import { formatTraceEvent, type TraceHandler } from './trace';
import { conformance } from './conformance/main';
import { WASI } from './wasi';
import { WasiTrap } from './abi/errors';
import { runThreads } from './node';
import { importsThreadSpawn } from './threads/memory-import';

export { HELP, USAGE, parseCommandLine, parseDir, RunError, UsageError, type Parsed, type RunRequest } from './command/args';
export { loadModule } from './command/load';

function version(): string {
  // dist/cjs/cli.js or src/cli.ts: the package.json above it.
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'refwasi') return pkg.version ?? 'unknown';
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Every message is exactly one line on stderr, whatever the error's message holds. */
function report(message: string): void {
  process.stderr.write(`refwasi: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** --trace: one line per call, written synchronously so nothing is lost when the program ends. */
function openTrace(target: string | undefined): { handler: TraceHandler | undefined; close(): void } {
  if (target === undefined) return { handler: undefined, close() {} };
  let fd = 2;
  if (target !== '') {
    try {
      fd = openSync(target, 'w');
    } catch (e) {
      throw new RunError(`--trace: cannot open '${target}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return {
    handler: (event) => { writeSync(fd, `${formatTraceEvent(event)}\n`); },
    close: () => { if (fd !== 2) closeSync(fd); },
  };
}

function preopens(dirs: RunRequest['dirs']): Record<string, NodeDirectory> {
  const out: Record<string, NodeDirectory> = {};
  for (const { host, guest } of dirs) {
    try {
      out[guest] = new NodeDirectory(host);
    } catch (e) {
      throw new RunError(`--dir '${host}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return out;
}

/** Calls the export NAME with ARGS as its parameters; prints the results as wasmtime does. */
function invoke(wasi: WASI, instance: WebAssembly.Instance, bytes: Uint8Array, name: string, args: string[]): number {
  const type = exportedFunctionTypes(bytes).get(name);
  if (type === undefined) throw new RunError(`cannot read the type of '${name}'`);
  const params = invokeParams(type, args, name);
  if (typeof instance.exports._initialize === 'function' && typeof instance.exports._start !== 'function') wasi.initialize(instance);
  else if (instance.exports.memory instanceof WebAssembly.Memory) wasi.setMemory(instance.exports.memory);
  try {
    const returned = (instance.exports[name] as (...a: unknown[]) => unknown)(...params);
    process.stdout.write(formatResults(type, returned));
    return 0;
  } catch (e) {
    if (e instanceof ProcExit) return e.code;
    throw e;
  } finally {
    wasi.close();
  }
}

/** The module's bytes if it is a wasi-threads program (it imports `wasi.thread-spawn`); else null, and loadModule says what is wrong. */
function threadedProgram(path: string): Uint8Array | null {
  try {
    const bytes = new Uint8Array(readFileSync(path));
    return importsThreadSpawn(new WebAssembly.Module(bytes)) ? bytes : null;
  } catch {
    return null;
  }
}

/** A wasi-threads program, as `wasmtime run -S threads` runs it: a worker per thread, one WASI for all. */
async function runThreaded(req: RunRequest, bytes: Uint8Array): Promise<number> {
  if (req.invoke !== undefined) {
    report('--invoke runs a function of a program without threads');
    return 1;
  }
  const trace = openTrace(req.trace);
  try {
    const stdio = nodeStdio();
    return (await runThreads(bytes, {
      args: [req.argv0 ?? basename(req.wasm), ...req.args], env: req.env, preopens: preopens(req.dirs), renumber: req.renumber,
      stdin: new NodeStdin(0), stdout: stdio.stdout, stderr: stdio.stderr, trace: trace.handler,
    })) & 0xff;
  } catch (e) {
    if (e instanceof RunError) {
      report(e.message);
      return 1;
    }
    if (e instanceof TypeError) {
      report(`cannot run '${basename(req.wasm)}': ${e.message}`);
      return 1;
    }
    report(`${basename(req.wasm)} trapped: ${e instanceof WasiTrap ? `${e.name}: ${e.message}` : String(e)}`);
    return 134;
  } finally {
    trace.close();
  }
}

function run(req: RunRequest): number | Promise<number> {
  const threaded = threadedProgram(req.wasm);
  if (threaded !== null) return runThreaded(req, threaded);
  const trace = openTrace(req.trace);
  let wasi: WASI | undefined;
  try {
    const stdio = nodeStdio();
    wasi = new WASI({
      args: [req.argv0 ?? basename(req.wasm), ...req.args], env: req.env, preopens: preopens(req.dirs), renumber: req.renumber,
      // Blocking stdin, as wasmtime's: EAGAIN from a non-blocking host fd 0 is waited out.
      stdin: new NodeStdin(0), stdout: stdio.stdout, stderr: stdio.stderr, trace: trace.handler,
    });
    const { module, bytes } = loadModule(req.wasm, wasi, req.invoke);
    // A trap (in a start section, _start or the invoked function): one line, and the status
    // wasmtime uses for an aborted program.
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
      throw new RunError(`cannot link '${basename(req.wasm)}': ${e.message}`);
    }
    try {
      if (req.invoke !== undefined) return invoke(wasi, instance, bytes, req.invoke, req.args);
      return wasi.start(instance) & 0xff;
    } catch (e) {
      if (e instanceof InvokeError) throw new RunError(e.message);
      return trapped(e);
    }
  } finally {
    trace.close();
    // Silent output loss is the worst outcome of strict mode: say what happened, once.
    const refused = wasi?.table.strictRefusals ?? 0;
    if (refused > 0 && req.renumber === 'strict') {
      report(`note: ${refused} fd_renumber onto a free fd refused (EBADF) in strict mode; programs built with the wasmtime preview1 component adapter (Yosys, for one) need --renumber permissive`);
    }
  }
}

/** Subcommands besides `run` (the default): name -> handler of the arguments after it. */
const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  run: (argv) => runCommand(argv),
  help: () => (process.stdout.write(HELP), 0),
  conformance: (argv) => conformance(argv),
};

function runCommand(argv: string[]): number | Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') return process.stdout.write(HELP), 0;
  if (parsed.kind === 'version') return process.stdout.write(`refwasi ${version()}\n`), 0;
  return run(parsed.request);
}

/** Runs the command; returns the process exit status (a promise of it for a program with threads). */
export function main(argv: string[]): number | Promise<number> {
  try {
    const command = argv.length > 0 ? COMMANDS[argv[0]] : undefined;
    if (command !== undefined && Object.hasOwn(COMMANDS, argv[0])) return command(argv.slice(1));
    return runCommand(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      report(e.message);
      return 2;
    }
    if (e instanceof RunError) {
      report(e.message);
      return 1;
    }
    throw e;
  }
}
