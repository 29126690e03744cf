// `refwasi conformance` as a user runs it: the bin of the packed, installed package, on the
// real fixtures, against the built-in runtimes and external command templates (ones that
// work, fail, hang or are not there), with its table, its JSON and Markdown outputs, its
// filters and its usage errors.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandTemplate, splitWords, type TestInput } from '../src/conformance/runtimes';
import type { Results } from '../src/conformance/report';
import { packAndInstall, ROOT, type Installed } from './helpers/packed';

const SUITE = path.join(ROOT, 'fixtures', 'testsuite');
const NODE = process.execPath;
let tmp: string;
let installed: Installed;
let BIN: string;

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-conformance-runner-')));
  installed = packAndInstall(tmp);
  BIN = path.join(installed.app, 'node_modules', 'refwasi', 'bin', 'refwasi.js');
}, 180_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `refwasi conformance ...`; from the checkout by default, where browser_wasi_shim is installed. */
function conformance(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [BIN, 'conformance', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(file: string): Results {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
}

/** The table's row for a test: its cells, runtime by runtime. */
function row(stdout: string, test: string): string[] {
  const line = stdout.split('\n').find((l) => l.split(/\s+/)[0] === test);
  if (line === undefined) throw new Error(`no row ${test} in:\n${stdout}`);
  return line.trim().split(/\s+/).slice(1);
}

describe('built-in runtimes on the shipped fixtures', () => {
  it('runs refwasi on both backends and node:wasi; dup tests are n/a on node:wasi; failures have a reason', () => {
    const out = path.join(tmp, 'builtin.json');
    const r = conformance(['--runtimes', 'refwasi,refwasi-node,node:wasi', '--filter', '^(numpy_load|random_yield_exit|clock_sleep)$', '--json', out]);
    // node:wasi fails clock_sleep (its clock_getres of the CPU clocks is 0), so the status is 1.
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['test', 'refwasi', 'refwasi-node', 'node:wasi']);
    expect(row(r.stdout, 'numpy_load')).toEqual(['pass', 'pass', 'n/a']);
    expect(row(r.stdout, 'random_yield_exit')).toEqual(['pass', 'pass', 'pass']);
    expect(row(r.stdout, 'clock_sleep')).toEqual(['pass', 'pass', 'FAIL']);
    expect(r.stdout).toMatch(/^ {2}clock_sleep \[node:wasi\]: exit 3, expected 0; stderr: FAIL \(exit 3\) line \d+: res\.tv_nsec/m);
    expect(r.stdout).toMatch(/^ {2}refwasi +3 pass, 0 fail, 0 n\/a \(0\.1\.0\)$/m);
    expect(r.stdout).toMatch(/^ {2}node:wasi +1 pass, 1 fail, 1 n\/a \(node v\d+/m);

    const res = json(out);
    expect(res.runtimes.map((x) => x.name)).toEqual(['refwasi', 'refwasi-node', 'node:wasi']);
    expect(res.tests.map((t) => t.name)).toEqual(['clock_sleep', 'numpy_load', 'random_yield_exit']);
    expect(res.tests[1]!.results['node:wasi']).toEqual({ status: 'n/a', reason: 'imports wasix_32v1 (the dup extension)' });
    const threaded = conformance(['--runtimes', 'refwasi-node,node:wasi', '--filter', '^exit_in_thread$']);
    expect(row(threaded.stdout, 'exit_in_thread')).toEqual(['pass', 'n/a']);
    expect(res.summary['refwasi-node']).toEqual({ pass: 3, fail: 0, timeout: 0, 'n/a': 0, missing: 0 });
    expect(res.node).toBe(process.version);
    expect(Date.parse(res.date)).not.toBeNaN();
  });

  it('every shipped fixture, threaded ones included, passes on refwasi (MemoryDirectory), each in its own copy', () => {
    const r = conformance(['--runtimes', 'refwasi']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const wasm = (dir: string) => fs.readdirSync(path.join(ROOT, 'fixtures', dir)).filter((f) => f.endsWith('.wasm'));
    expect(r.stdout).toContain(`refwasi  ${wasm('testsuite').length + wasm('threads').length} pass, 0 fail, 0 n/a`);
    // A name both suites use is qualified by its suite; the threaded programs ran with their threads.
    expect(row(r.stdout, 'testsuite/renumber_stdout')).toEqual(['pass']);
    expect(row(r.stdout, 'threads/renumber_stdout')).toEqual(['pass']);
    expect(row(r.stdout, 'thousand_threads')).toEqual(['pass']);
    // The suite's own directory is untouched: every run had a copy.
    expect(fs.readdirSync(path.join(SUITE, 'fs-tests.dir')).sort()).toEqual(['digits.txt', 'hello.txt', 'small.npy', 'sub']);
  }, 120_000);

  it('runs browser_wasi_shim where it is installed, and says so where it is not', () => {
    const here = conformance(['--runtimes', 'browser_wasi_shim', '--filter', '^(random_yield_exit|dup_stdin)$']);
    expect(here.status).toBe(0);
    expect(row(here.stdout, 'random_yield_exit')).toEqual(['pass']);
    expect(row(here.stdout, 'dup_stdin')).toEqual(['n/a']);
    expect(here.stdout).toMatch(/browser_wasi_shim +1 pass, 0 fail, 1 n\/a \(0\.4\.\d+\)/);
    // The installed package alone, run from a project without the shim.
    const there = conformance(['--runtimes', 'refwasi,browser_wasi_shim', '--filter', '^random_yield_exit$'], installed.app);
    expect(there.status).toBe(0);
    expect(row(there.stdout, 'random_yield_exit')).toEqual(['pass', '-']);
    expect(there.stdout).toMatch(/browser_wasi_shim +not run: not installed \(npm install @bjorn3\/browser_wasi_shim/);
  });
});

describe('external runtimes', () => {
  it('a template that works: the installed refwasi run command, with the dup extension declared', () => {
    const out = path.join(tmp, 'self.md');
    const r = conformance([
      '--runtime', `self+wasix_32v1=${NODE} ${BIN} run --renumber {renumber} --dir {dir}::{guest} {wasm} {args}`,
      '--runtimes', 'self,node:wasi', '--filter', '^(numpy_load|renumber_free_strict|random_yield_exit)$', '--markdown', out,
    ]);
    expect(r.stdout).not.toContain('FAIL');
    expect(row(r.stdout, 'numpy_load')).toEqual(['pass', 'n/a']);
    expect(row(r.stdout, 'renumber_free_strict')).toEqual(['pass', 'n/a']);
    expect(r.status).toBe(0);
    const md = fs.readFileSync(out, 'utf8').split('\n');
    expect(md[0]).toMatch(/^Produced by `refwasi conformance` on \d{4}-\d\d-\d\d \(Node v[\d.]+\); self (?:refwasi )?v?[\d.]+, node:wasi node v[\d.]+\.$/);
    expect(md).toContain(`| self | refwasi ${require('../package.json').version} | 3 | 0 | 0 |`);
    expect(md).toContain('| test | self | node:wasi |');
    expect(md).toContain('| numpy_load | ✓ | n/a |');
    expect(md).toContain('| **passed** | **3** / 3 | **1** / 1 |');
  });

  it('a template that fails, one that hangs past --timeout, and one that is not installed', () => {
    const out = path.join(tmp, 'external.json');
    const r = conformance([
      '--runtime', `bad=${NODE} -e process.exit(3) {wasm}`,
      '--runtime', `slow=${NODE} -e "setTimeout(() => {}, 60000)" {wasm}`,
      '--runtime', 'gone=/nonexistent/wasm-runtime run {wasm}',
      '--runtimes', 'bad,slow,gone', '--filter', '^random_yield_exit$', '--timeout', '1', '--json', out,
    ]);
    expect(r.status).toBe(1);
    expect(row(r.stdout, 'random_yield_exit')).toEqual(['FAIL', 'TIMEOUT', '-']);
    expect(r.stdout).toContain('  random_yield_exit [bad]: exit 3, expected 7\n');
    expect(r.stdout).toContain('  random_yield_exit [slow]: no exit within 1 s\n');
    expect(r.stdout).toMatch(/^ {2}gone +not run: '\/nonexistent\/wasm-runtime' not found$/m);
    const res = json(out);
    expect(res.tests[0]!.results).toEqual({
      bad: { status: 'fail', reason: 'exit 3, expected 7' },
      slow: { status: 'timeout', reason: 'no exit within 1 s' },
      gone: { status: 'missing', reason: "'/nonexistent/wasm-runtime' not found" },
    });
  });
});

describe('--suite: any directory in the wasi-testsuite format', () => {
  it('judges exit code, stdout and stderr; a test without a spec expects exit 0; other json is not a test', () => {
    const suite = path.join(tmp, 'suite');
    fs.mkdirSync(suite);
    const wasm = fs.readFileSync(path.join(SUITE, 'random_yield_exit.wasm'));
    const spec = JSON.parse(fs.readFileSync(path.join(SUITE, 'random_yield_exit.json'), 'utf8')) as { stdout: string };
    for (const name of ['as_shipped', 'wrong_stdout', 'wrong_stderr', 'no_spec']) fs.writeFileSync(path.join(suite, `${name}.wasm`), wasm);
    fs.copyFileSync(path.join(SUITE, 'random_yield_exit.json'), path.join(suite, 'as_shipped.json'));
    fs.writeFileSync(path.join(suite, 'wrong_stdout.json'), JSON.stringify({ ...spec, stdout: `${spec.stdout.split('\n')[0]}\nnot this\n` }));
    fs.writeFileSync(path.join(suite, 'wrong_stderr.json'), JSON.stringify({ ...spec, stderr: 'expected\n' }));
    fs.writeFileSync(path.join(suite, 'manifest.json'), '{ "name": "a suite" }');
    const r = conformance(['--suite', suite, '--runtimes', 'refwasi']);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n').slice(2, 6).map((l) => l.split(/\s+/))).toEqual([
      ['as_shipped', 'pass'], ['no_spec', 'FAIL'], ['wrong_stderr', 'FAIL'], ['wrong_stdout', 'FAIL'],
    ]);
    expect(r.stdout).toContain('  no_spec [refwasi]: exit 7, expected 0\n');
    expect(r.stdout).toContain('  wrong_stderr [refwasi]: stderr line 1: got "", expected "expected"\n');
    expect(r.stdout).toMatch(/ {2}wrong_stdout \[refwasi\]: stdout line 2: got ".+", expected "not this"\n/);
  });
});

describe('usage', () => {
  it.each([
    [['--bogus'], /^refwasi conformance: Unknown option '--bogus'/],
    [['positional'], /^refwasi conformance: Unexpected argument 'positional'/],
    [['--filter', '('], /^refwasi conformance: --filter: Invalid regular expression/],
    [['--filter', '^no such test$'], /^refwasi conformance: no test in '.*' matches/],
    [['--runtimes', 'refwasi,wasmer'], /^refwasi conformance: --runtimes: unknown runtime 'wasmer' \(known: refwasi, refwasi-node, node:wasi, browser_wasi_shim\)\n$/],
    [['--runtime', 'nameless'], /^refwasi conformance: bad --runtime 'nameless': expected NAME=COMMAND TEMPLATE\n$/],
    [['--runtime', 'x=true'], /^refwasi conformance: bad --runtime 'x=true': the template has no \{wasm\}\n$/],
    [['--runtime', 'x+threads=run {wasm}'], /^refwasi conformance: bad --runtime 'x\+threads=run \{wasm\}': '\+threads' is not one of/],
    [['--runtime', 'refwasi=run {wasm}'], /^refwasi conformance: --runtime 'refwasi': that name is taken\n$/],
    [['--timeout', '0'], /^refwasi conformance: --timeout '0': expected a number of seconds above 0\n$/],
    [['--suite', '/nonexistent'], /^refwasi conformance: no suite at '\/nonexistent'\n$/],
  ])('%j is one line on stderr and status 2', (args, message) => {
    const r = conformance(args);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--help prints the options and succeeds', () => {
    const r = conformance(['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--suite', '--runtime ', '--runtimes', '--filter', '--timeout', '--json', '--markdown']) expect(r.stdout).toContain(flag);
  });
});

describe('command templates', () => {
  const input: TestInput = {
    wasm: '/s/t.wasm', args: ['a b', '-x'], env: { K: 'v', L: '' }, renumber: 'strict',
    dirs: [{ host: '/tmp/1/fs-tests.dir', guest: 'fs-tests.dir' }, { host: '/tmp/1/other', guest: 'other' }],
  };

  it('splits words on blanks, keeping quoted groups and glued quotes together', () => {
    expect(splitWords(`wasmtime run  --dir "{dir}::{guest}" 'a b'c {wasm}`)).toEqual(['wasmtime', 'run', '--dir', '{dir}::{guest}', 'a bc', '{wasm}']);
  });

  it('repeats dir and env words with their flag, and spreads {args}', () => {
    expect(expandTemplate(splitWords('rt run --dir {dir}::{guest} --env {env} --mode={renumber} {wasm} {args}'), input)).toEqual([
      'rt', 'run', '--dir', '/tmp/1/fs-tests.dir::fs-tests.dir', '--dir', '/tmp/1/other::other', '--env', 'K=v', '--env', 'L=',
      '--mode=strict', '/s/t.wasm', 'a b', '-x',
    ]);
    expect(expandTemplate(splitWords('rt --mapdir={guest}:{dir} {wasm}'), input)).toEqual(['rt', '--mapdir=fs-tests.dir:/tmp/1/fs-tests.dir', '--mapdir=other:/tmp/1/other', '/s/t.wasm']);
  });

  it('drops a flag with its repeated word when there is nothing to repeat', () => {
    expect(expandTemplate(splitWords('rt --dir {dir}::{guest} --env {env} {wasm} {args}'), { ...input, dirs: [], env: {}, args: [] })).toEqual(['rt', '/s/t.wasm']);
  });
});
