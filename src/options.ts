// Checks of the WASI constructor's options, shared by both entries. A misspelt or foreign
// option must fail loudly: node:wasi ignores what it does not know, so a program moved from it
// would otherwise run with a setting silently dropped.

/** Every option the browser-safe WASI takes. */
export const CORE_OPTIONS = [
  'version', 'args', 'env', 'preopens', 'stdin', 'stdout', 'stderr', 'returnOnExit', 'renumber', 'maxDescriptors', 'threads', 'trace',
] as const;

/** The only WASI version refwasi implements (node:wasi's name for wasi_snapshot_preview1). */
export const WASI_VERSION = 'preview1';

const NODE_HINT = "import { WASI } from 'refwasi/node'";

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value}'`;
  return typeof value;
}

/**
 * The checks every entry makes: an options object, known names only, `version` 'preview1',
 * `args` strings, `env` values strings (or undefined, skipped as node:wasi skips them).
 */
export function checkCommonOptions(options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`WASI options must be an object, not ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new TypeError(`unknown WASI option '${key}' (known: ${known.join(', ')})`);
  }
  if (o.version !== undefined && o.version !== WASI_VERSION) {
    throw new TypeError(`version: refwasi implements only '${WASI_VERSION}', not ${describe(o.version)}`);
  }
  if (o.args !== undefined && (!Array.isArray(o.args) || o.args.some((a) => typeof a !== 'string'))) {
    throw new TypeError('args must be an array of strings');
  }
  if (o.env !== undefined) {
    if (typeof o.env !== 'object' || o.env === null || Array.isArray(o.env)) throw new TypeError(`env must be an object, not ${describe(o.env)}`);
    for (const [k, v] of Object.entries(o.env)) {
      if (v !== undefined && typeof v !== 'string') throw new TypeError(`env.${k} must be a string, not ${describe(v)}`);
    }
  }
  if (o.returnOnExit !== undefined && typeof o.returnOnExit !== 'boolean') {
    throw new TypeError(`returnOnExit must be a boolean, not ${describe(o.returnOnExit)}`);
  }
  if (o.preopens !== undefined && (typeof o.preopens !== 'object' || o.preopens === null || Array.isArray(o.preopens))) {
    throw new TypeError(`preopens must be an object, not ${describe(o.preopens)}`);
  }
  if (o.trace !== undefined && typeof o.trace !== 'function') throw new TypeError(`trace must be a function, not ${describe(o.trace)}`);
}

/** What only refwasi/node can do, refused by the browser-safe entry with the import to use. */
export function checkCoreOptions(options: unknown): void {
  checkCommonOptions(options, CORE_OPTIONS);
  if (options === undefined) return;
  const o = options as Record<string, unknown>;
  for (const [guest, dir] of Object.entries((o.preopens ?? {}) as Record<string, unknown>)) {
    if (typeof dir === 'string') throw new TypeError(`preopens['${guest}']: a host path needs the Node backend: ${NODE_HINT}`);
    if (typeof dir !== 'object' || dir === null) throw new TypeError(`preopens['${guest}'] must be a directory, not ${describe(dir)}`);
  }
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    if (typeof o[name] === 'number') throw new TypeError(`${name}: a host fd number needs the host's fds: ${NODE_HINT}`);
  }
  if (o.returnOnExit === false) throw new TypeError(`returnOnExit: false ends the host process on proc_exit: ${NODE_HINT}`);
}

/** An environment given as node:wasi takes it (`process.env`): variables set to undefined are left out. */
export function envEntries(env: Readonly<Record<string, string | undefined>> | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(env ?? {})) if (v !== undefined) out.push([k, v]);
  return out;
}
