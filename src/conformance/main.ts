// `refwasi conformance`: a suite in the wasi-testsuite format against several runtimes at once.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownReport, summarize, textReport, type Results } from './report';
import { runOne } from './run';
import { BUILTIN, builtinRuntime, externalRuntime, type Runtime } from './runtimes';
import { mergeSuites } from './suite';

export const CONFORMANCE_USAGE = `usage: refwasi conformance [options]

Runs every test of a suite in the wasi-testsuite format (NAME.wasm + NAME.json) under each
runtime, each test in its own child process over a fresh copy of its dirs.

  --suite DIR              the suite (default: refwasi's own fixtures, refwasi/fixtures:
                           testsuite and threads); repeat it to run several as one (the
                           official suite's c, rust, ...); a name two suites share is
                           qualified by its directory name
  --runtime NAME=TEMPLATE  an external runtime (repeatable), e.g.
                           'wasmtime=wasmtime run --dir {dir}::{guest} {wasm} {args}':
                           {wasm} the program, {args} its arguments, {renumber} strict or
                           permissive; a word with {dir} and {guest} (or {env}, as K=V)
                           is repeated per dir (per variable), with the flag before it.
                           NAME+wasix_32v1=... runs the dup extension's tests on it too
                           (+wasi-threads the threaded ones, +renumber-permissive)
  --runtimes A,B,...       which to run, of ${BUILTIN.join(', ')}
                           and the --runtime names (default: all)
  --filter REGEX           only the tests whose name matches
  --timeout SECONDS        per test and runtime (default 30)
  --json FILE              write every result as JSON
  --markdown FILE          write the comparison table as Markdown
  -h, --help               this text

Exit status: 0 if no test failed on any runtime that ran, 1 if one did, 2 for bad usage.`;

/** refwasi's own suites, in the package's fixtures/ (see fixtures/index.json). */
export const SHIPPED = ['testsuite', 'threads'];

class Usage extends Error {}

interface Options {
  suites: string[];
  runtimes: Runtime[];
  filter: RegExp | null;
  timeoutMs: number;
  json?: string;
  markdown?: string;
}

function options(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        suite: { type: 'string', multiple: true }, runtime: { type: 'string', multiple: true }, runtimes: { type: 'string' },
        filter: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'string' }, markdown: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new Usage((e as Error).message);
  }
  if (values.help) return 'help';
  let external: Runtime[];
  try {
    external = (values.runtime ?? []).map(externalRuntime);
  } catch (e) {
    throw new Usage((e as Error).message);
  }
  const known = new Map<string, () => Runtime>(BUILTIN.map((n) => [n, () => builtinRuntime(n)]));
  for (const r of external) {
    if (known.has(r.name)) throw new Usage(`--runtime '${r.name}': that name is taken`);
    known.set(r.name, () => r);
  }
  const wanted = values.runtimes === undefined ? [...known.keys()] : values.runtimes.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of wanted) if (!known.has(n)) throw new Usage(`--runtimes: unknown runtime '${n}' (known: ${[...known.keys()].join(', ')})`);
  if (wanted.length === 0) throw new Usage('--runtimes: no runtime named');
  let filter: RegExp | null = null;
  if (values.filter !== undefined) {
    try {
      filter = new RegExp(values.filter);
    } catch (e) {
      throw new Usage(`--filter: ${(e as Error).message}`);
    }
  }
  const seconds = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!(seconds > 0)) throw new Usage(`--timeout '${values.timeout}': expected a number of seconds above 0`);
  return {
    suites: (values.suite ?? SHIPPED.map((d) => join(__dirname, '..', '..', '..', 'fixtures', d))).map((d) => resolve(d)),
    runtimes: [...new Set(wanted)].map((n) => known.get(n)!()),
    filter, timeoutMs: seconds * 1000, json: values.json, markdown: values.markdown,
  };
}

export function conformance(argv: string[]): number {
  let opts: Options | 'help';
  try {
    opts = options(argv);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    process.stderr.write(`refwasi conformance: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${CONFORMANCE_USAGE}\n`);
    return 0;
  }
  let tests;
  try {
    tests = mergeSuites(opts.suites).filter((t) => opts.filter === null || opts.filter.test(t.name));
  } catch (e) {
    process.stderr.write(`refwasi conformance: ${(e as Error).message}\n`);
    return 2;
  }
  if (tests.length === 0) {
    process.stderr.write(`refwasi conformance: no test in ${opts.suites.map((d) => `'${d}'`).join(', ')}${opts.filter ? ` matches ${opts.filter}` : ''}\n`);
    return 2;
  }
  // On a terminal, a progress line (a whole suite under five runtimes takes a while).
  const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(`\r\x1b[K${text}`) : () => {};
  const rows = tests.map((t, i) => {
    progress(`[${i + 1}/${tests.length}] ${t.name}`);
    return { name: t.name, results: Object.fromEntries(opts.runtimes.map((r) => [r.name, runOne(t, r, opts.timeoutMs)])) };
  });
  progress('');
  const res: Results = {
    date: new Date().toISOString(), node: process.version, suites: opts.suites,
    runtimes: opts.runtimes.map((r) => ({ name: r.name, version: r.version, ...(r.missing ? { missing: r.missing } : {}) })),
    tests: rows, summary: summarize(opts.runtimes, rows),
  };
  process.stdout.write(textReport(res));
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(res, null, 2)}\n`);
  if (opts.markdown) writeFileSync(opts.markdown, markdownReport(res));
  const failed = Object.values(res.summary).some((c) => c.fail + c.timeout > 0);
  return failed ? 1 : 0;
}
