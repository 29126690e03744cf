// The runtimes a suite can be run against: refwasi's two backends, Node's node:wasi and
// browser_wasi_shim run in-process by child.js, and any command given as a template.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Request } from './child';
import type { Need } from './suite';

/** How to start one test: a command line, run in the caller's working directory. */
export interface Invocation {
  file: string;
  args: string[];
}

export interface TestInput {
  wasm: string;
  /** The program's arguments (argv without its name). */
  args: string[];
  env: Record<string, string>;
  dirs: { host: string; guest: string }[];
  renumber: 'strict' | 'permissive';
}

export interface Runtime {
  name: string;
  /** Its version, or null if it is not there (with the reason in `missing`). */
  version: string | null;
  missing?: string;
  /** What it offers beyond plain preview1. */
  provides: Need[];
  invocation(test: TestInput): Invocation;
}

export const BUILTIN = ['refwasi', 'refwasi-node', 'node:wasi', 'browser_wasi_shim'] as const;

function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** browser_wasi_shim's entry, looked up from the working directory, then from refwasi's own place. */
function findShim(): { entry: string; version: string } | null {
  for (const base of [join(process.cwd(), 'noop.js'), __filename]) {
    try {
      const entry = createRequire(base).resolve('@bjorn3/browser_wasi_shim');
      let dir = dirname(entry);
      while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
      const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
      return { entry, version };
    } catch {
      // not resolvable from here
    }
  }
  return null;
}

function inProcess(name: Request['runtime'], version: string | null, provides: Need[], shim?: string): Runtime {
  const child = join(__dirname, 'child.js');
  return {
    name, version, provides,
    invocation: (t) => {
      const req: Request = { runtime: name, wasm: t.wasm, args: [basename(t.wasm), ...t.args], env: t.env, dirs: t.dirs, renumber: t.renumber, shim };
      return { file: process.execPath, args: ['--no-warnings', child, JSON.stringify(req)] };
    },
  };
}

export function builtinRuntime(name: (typeof BUILTIN)[number]): Runtime {
  switch (name) {
    case 'refwasi':
    case 'refwasi-node':
      return inProcess(name, ownVersion(), ['wasix_32v1', 'renumber-permissive', 'wasi-threads']);
    case 'node:wasi':
      return inProcess(name, `node ${process.version}`, []);
    case 'browser_wasi_shim': {
      const shim = findShim();
      const runtime = inProcess(name, shim?.version ?? null, [], shim?.entry);
      if (shim === null) runtime.missing = 'not installed (npm install @bjorn3/browser_wasi_shim to compare with it)';
      return runtime;
    }
  }
}

/** Splits a command template into words: blanks separate, single or double quotes group. */
export function splitWords(template: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let current: string | null = null;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    const glued = current !== null && m.index === last;
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    if (glued) current += piece;
    else {
      if (current !== null) words.push(current);
      current = piece;
    }
    last = m.index + m[0].length;
  }
  if (current !== null) words.push(current);
  return words;
}

const PLACEHOLDER = /\{(wasm|renumber)\}/g;

/**
 * Expands a template for one test. `{wasm}` is the program's path, `{renumber}` the renumber
 * mode the test expects (strict or permissive); a word that is exactly
 * `{args}` becomes the program's arguments; a word with `{dir}` (host copy) and `{guest}`
 * (its guest name) is repeated for each preopened dir, and a word with `{env}` (`K=V`) for
 * each variable. A flag word just before a repeated word (`--dir {dir}::{guest}`) is
 * repeated with it, and both vanish when there is nothing to repeat.
 */
export function expandTemplate(words: string[], t: TestInput): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    const isFlag = w.startsWith('-') && !w.includes('{');
    const repeats = (s: string | undefined): boolean => s !== undefined && /\{(dir|guest|env)\}/.test(s);
    if (isFlag && repeats(next)) continue; // emitted with the word it belongs to
    const flag = i > 0 && words[i - 1]!.startsWith('-') && !words[i - 1]!.includes('{') && repeats(w) ? [words[i - 1]!] : [];
    if (w === '{args}') out.push(...t.args);
    else if (/\{(dir|guest)\}/.test(w)) {
      for (const d of t.dirs) out.push(...flag, w.replace(/\{dir\}/g, d.host).replace(/\{guest\}/g, d.guest).replace(/\{wasm\}/g, t.wasm));
    } else if (w.includes('{env}')) {
      for (const [k, v] of Object.entries(t.env)) out.push(...flag, w.replace(/\{env\}/g, `${k}=${v}`));
    } else out.push(w.replace(PLACEHOLDER, (_, p: string) => (p === 'wasm' ? t.wasm : t.renumber)));
  }
  return out;
}

/** The words before the first placeholder or flag: the command itself, asked `--version`. */
function probeVersion(words: string[]): { version: string | null; missing?: string } {
  const head: string[] = [];
  for (const w of words) {
    if (w.includes('{') || w.startsWith('-')) break;
    head.push(w);
  }
  for (const cmd of [head, head.slice(0, 1)]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), '--version'], { encoding: 'utf8', timeout: 10_000 });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { version: null, missing: `'${cmd[0]}' not found` };
    if (r.status === 0) return { version: (r.stdout.trim() || r.stderr.trim()).split('\n')[0]! };
  }
  return { version: 'unknown' };
}

const NEEDS: readonly Need[] = ['wasix_32v1', 'renumber-permissive', 'wasi-threads'];

/**
 * `NAME=TEMPLATE`: an external runtime, taken to have plain preview1 only; `NAME+wasix_32v1`
 * (or `+renumber-permissive`, `+wasi-threads`, several) says it has more, so those tests run on it too.
 */
export function externalRuntime(spec: string): Runtime {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`bad --runtime '${spec}': expected NAME=COMMAND TEMPLATE`);
  const [name, ...extras] = spec.slice(0, eq).split('+');
  for (const e of extras) if (!NEEDS.includes(e as Need)) throw new Error(`bad --runtime '${spec}': '+${e}' is not one of ${NEEDS.map((n) => `+${n}`).join(', ')}`);
  const words = splitWords(spec.slice(eq + 1));
  if (!name || words.length === 0) throw new Error(`bad --runtime '${spec}': expected NAME=COMMAND TEMPLATE`);
  if (!words.some((w) => w.includes('{wasm}'))) throw new Error(`bad --runtime '${spec}': the template has no {wasm}`);
  const { version, missing } = probeVersion(words);
  return {
    name, version, missing, provides: extras as Need[],
    invocation: (t) => {
      const [file, ...args] = expandTemplate(words, t);
      return { file: file!, args };
    },
  };
}
