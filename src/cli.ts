// The `refwasi` command, with wasmtime's manners:
//   refwasi [run] [OPTIONS] WASM [ARGS...]      everything after WASM goes to the program
//   refwasi --help | --version
// Exit status: the program's own; 134 for a trap (as an abort on Unix); 2 for a bad command
// line; 1 when the program cannot be run (unreadable, not wasm, imports refwasi lacks).
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ProcExit } from './abi/errors';
import { NodeDirectory, nodeStdio } from './backends/node';
import { NodeStdin } from './backends/node/stdin';
import { formatResults, InvokeError, invokeParams } from './command/invoke';
import { exportedFunctionTypes } from './command/signature';
import type { RenumberMode } from './descriptors/table';
import { formatTraceEvent, type TraceHandler } from './trace';
import { WASI } from './wasi';

export const USAGE = 'usage: refwasi [run] [OPTIONS] <WASM> [ARGS...]';

export const HELP = `refwasi: run a WASI preview1 program with POSIX descriptor semantics

${USAGE}
       refwasi --help | --version

Everything after WASM goes to the program (its argv, or with --invoke the function's
parameters); options for refwasi come before it.

Options:
  --dir HOST[::GUEST]      give the program the host directory HOST, as GUEST (default: HOST);
                           split at the first '::'; repeatable, each GUEST once
  --env NAME=VALUE         set NAME for the program; repeatable
  --env NAME               pass the host's NAME on (left out if the host has none)
  --argv0 NAME             the program's argv[0] (default: WASM's file name)
  --invoke NAME            call the exported function NAME (after _initialize, for a reactor)
                           with ARGS as its parameters, and print what it returns
  --renumber MODE          fd_renumber onto a free fd: strict refuses it with EBADF (wasmtime),
                           permissive allows it (default: strict)
  --trace[=FILE]           print every WASI call as it returns, strace-style, on stderr or to FILE
  -h, --help               print this help
  -V, --version            print refwasi's version

Exit status: the program's (proc_exit's code, 0 when _start returns); 134 when it traps;
2 for a bad command line; 1 when the program cannot be run.
`;

/** A bad command line: one line on stderr, status 2. */
export class UsageError extends Error {}
/** A program that cannot be run (unreadable, not wasm, missing imports): one line, status 1. */
export class RunError extends Error {}

const RUN_OPTIONS = {
  dir: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  argv0: { type: 'string' },
  invoke: { type: 'string' },
  renumber: { type: 'string' },
  trace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} satisfies ParseArgsConfig['options'];

export interface RunRequest {
  wasm: string;
  dirs: { host: string; guest: string }[];
  env: Record<string, string>;
  argv0: string | undefined;
  invoke: string | undefined;
  renumber: RenumberMode;
  /** undefined: no trace; '': stderr; else a file. */
  trace: string | undefined;
  args: string[];
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; request: RunRequest };

/**
 * Where refwasi's options end: at the first positional (the program) or at `--`. node's
 * parseArgs reads on past positionals, so this pass only finds the place; a second, strict one
 * checks what comes before it. `--trace` takes a value only as `--trace=FILE`.
 */
function splitAtProgram(argv: string[]): { options: string[]; program: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: { ...RUN_OPTIONS, trace: { type: 'boolean' } }, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') return { options: argv.slice(0, t.index), program: t.value, rest: argv.slice(t.index + 1) };
    if (t.kind === 'option-terminator') return { options: argv.slice(0, t.index), program: argv[t.index + 1], rest: argv.slice(t.index + 2) };
  }
  return { options: argv, program: undefined, rest: [] };
}

function parseOptions(options: string[]): ReturnType<typeof parseArgs<{ options: typeof RUN_OPTIONS; strict: true }>>['values'] {
  try {
    return parseArgs({ args: options.map((a) => (a === '--trace' ? '--trace=' : a)), options: RUN_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec((e as Error).message)?.[1] ?? '?';
      throw new UsageError(`unknown option '${option}' (see refwasi --help)`);
    }
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${(e as Error).message.replace(/\.?\s*$/, '')} (see refwasi --help)`);
    throw e;
  }
}

/** HOST[::GUEST], split at the first '::' (wasmtime drops whatever follows a second one). */
export function parseDir(spec: string): { host: string; guest: string } {
  const at = spec.indexOf('::');
  const [host, guest] = at < 0 ? [spec, spec] : [spec.slice(0, at), spec.slice(at + 2)];
  if (!host || !guest) throw new UsageError(`bad --dir '${spec}': expected HOST or HOST::GUEST`);
  return { host, guest };
}

/** NAME=VALUE, or NAME alone: the host's value, left out when the host has none (as wasmtime). */
function parseEnv(specs: string[], hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (!name) throw new UsageError(`bad --env '${spec}': expected NAME=VALUE or NAME`);
    if (eq >= 0) env[name] = spec.slice(eq + 1);
    else if (hostEnv[name] !== undefined) env[name] = hostEnv[name]!;
  }
  return env;
}

export function parseCommandLine(argv: string[], hostEnv: NodeJS.ProcessEnv = process.env): Parsed {
  const { options, program, rest } = splitAtProgram(argv);
  const values = parseOptions(options);
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (program === undefined) throw new UsageError(`no program given (${USAGE}; see refwasi --help)`);
  const dirs = (values.dir ?? []).map(parseDir);
  const seen = new Map<string, string>();
  for (const { host, guest } of dirs) {
    const before = seen.get(guest);
    if (before !== undefined) throw new UsageError(`--dir: the guest path '${guest}' is given twice (for '${before}' and '${host}')`);
    seen.set(guest, host);
  }
  const renumber = values.renumber ?? 'strict';
  if (renumber !== 'strict' && renumber !== 'permissive') throw new UsageError(`bad --renumber '${renumber}': expected strict or permissive`);
  if (values.argv0 === '') throw new UsageError('--argv0 needs a name');
  if (values.invoke === '') throw new UsageError('--invoke needs a function name');
  return {
    kind: 'run',
    request: { wasm: program, dirs, env: parseEnv(values.env ?? [], hostEnv), argv0: values.argv0, invoke: values.invoke, renumber, trace: values.trace, args: rest },
  };
}

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

function run(req: RunRequest): number {
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
const COMMANDS: Record<string, (argv: string[]) => number> = {
  run: (argv) => runCommand(argv),
  help: () => (process.stdout.write(HELP), 0),
};

function runCommand(argv: string[]): number {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') return process.stdout.write(HELP), 0;
  if (parsed.kind === 'version') return process.stdout.write(`refwasi ${version()}\n`), 0;
  return run(parsed.request);
}

/** Runs the command; returns the process exit status. */
export function main(argv: string[]): number {
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
