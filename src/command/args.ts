// The command line of `refwasi run`, read with node:util's parseArgs in wasmtime's manner:
// refwasi's options before the program, everything after it the program's.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RenumberMode } from '../descriptors/table';

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
  --trace[=FILE]           print every WASI call as it returns, strace-style, on stderr
                           (or to FILE)
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

