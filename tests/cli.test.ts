// The `refwasi run` command, as a user runs it: `node bin/refwasi.js run ...` in a child
// process with its own stdin, stdout, stderr and exit status, over real directories.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno } from '../src/abi/constants';
import * as tiny from './helpers/tiny-wasm';

const ROOT = path.join(__dirname, '..');
/** bin/refwasi.js with the dist/ it loads, copied once built (see beforeAll). */
let BIN = path.join(ROOT, 'bin', 'refwasi.js');
let installed: string;
const PROBE = path.join(ROOT, 'tests', 'wasm', 'cli_probe.wasm');
const SUITE = path.join(ROOT, 'fixtures', 'testsuite');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function refwasi(args: string[], options: { input?: string | Buffer; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT, input: options.input ?? '', encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
let npmStart: SpawnSyncReturns<string>;

beforeAll(() => {
  // `npm start -- x.wasm` builds dist/ (which bin/refwasi.js loads) and then runs the program:
  // the build every test below uses, and the test of the start script itself.
  npmStart = spawnSync('npm', ['start', '--', PROBE, 'say', 'hello from npm start', 'and its stderr'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (npmStart.status !== 0 || !fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'cli.js'))) {
    throw new Error(`npm start failed (${npmStart.status}):\n${npmStart.stdout}\n${npmStart.stderr}`);
  }
  // The tests run the command from a copy of bin/ and dist/ as just built, so another build of
  // the checkout (which empties dist/ first) cannot pull it from under them.
  installed = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-cli-bin-'));
  fs.cpSync(path.join(ROOT, 'bin'), path.join(installed, 'bin'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist', 'cjs'), path.join(installed, 'dist', 'cjs'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(installed, 'package.json'));
  BIN = path.join(installed, 'bin', 'refwasi.js');
}, 120_000);

afterAll(() => {
  if (installed) fs.rmSync(installed, { recursive: true, force: true });
});

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-cli-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('npm and bin', () => {
  it('`npm start -- x.wasm` builds and runs the program from a checkout', () => {
    expect(npmStart.stdout.endsWith('hello from npm start\n')).toBe(true);
    expect(npmStart.stderr).toContain('and its stderr\n');
    expect(npmStart.status).toBe(0);
  });

  it('after `npm install` of the packed package, `npx refwasi run x.wasm` works', () => {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status).toBe(0);
    const tarball = path.join(tmp, pack.stdout.trim().split('\n').pop()!);
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, encoding: 'utf8' });
    expect(install.status).toBe(0);
    const r = spawnSync('npx', ['--offline', 'refwasi', 'run', PROBE, 'say', 'installed', 'and running'], { cwd: app, encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'installed\n', stderr: 'and running\n' });
    // The installed bin itself (what npx ran) passes the exit status through.
    expect(spawnSync(path.join(app, 'node_modules', '.bin', 'refwasi'), ['run', PROBE, 'exit', '9']).status).toBe(9);
  }, 60_000);

  it('package.json declares the bin and the start script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string>; files: string[] };
    expect(pkg.bin).toEqual({ refwasi: './bin/refwasi.js' });
    expect(pkg.scripts.start).toMatch(/node bin\/refwasi\.js run$/);
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin']));
    expect(fs.readFileSync(path.join(ROOT, 'bin', 'refwasi.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.readFileSync(BIN)).toEqual(fs.readFileSync(path.join(ROOT, 'bin', 'refwasi.js')));
  });
});

describe('refwasi run', () => {
  it.each([0, 7, 125])("the program's exit code %i becomes the process's", (code) => {
    const r = refwasi(['run', PROBE, 'exit', String(code)]);
    expect(r).toEqual({ status: code, stdout: '', stderr: '' });
  });

  it('an exit status outside [0, 126) is refused as wasmtime refuses it: one line, a failure status', () => {
    const r = refwasi(['run', PROBE, 'exit', '255']);
    expect(r.stderr).toMatch(/^refwasi: cli_probe\.wasm trapped: [^\n]*proc_exit\(255\)[^\n]*\n$/);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBe(255);
  });

  it("stdout and stderr are the process's own", () => {
    const r = refwasi(['run', PROBE, 'say', 'to stdout', 'to stderr']);
    expect(r).toEqual({ status: 0, stdout: 'to stdout\n', stderr: 'to stderr\n' });
  });

  it("stdin is the process's own, read to its end (a megabyte through a pipe)", () => {
    const input = Buffer.alloc(1 << 20);
    for (let i = 0; i < input.length; i++) input[i] = 97 + (i % 26);
    const r = spawnSync(process.execPath, [BIN, 'run', PROBE, 'cat'], { input, maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, input)).toBe(0);
    expect(r.stderr.toString()).toBe('');
  });

  it('a read of stdin waits for a slow writer instead of failing with EAGAIN', () => {
    const pipeline = `(sleep 0.3; echo first; sleep 0.3; echo second) | "${process.execPath}" "${BIN}" run "${PROBE}" cat`;
    const r = spawnSync('sh', ['-c', pipeline], { encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'first\nsecond\n', stderr: '' });
  });

  it('--dir HOST::GUEST preopens a real directory under the guest name', () => {
    fs.mkdirSync(path.join(tmp, 'sub'));
    fs.writeFileSync(path.join(tmp, 'a.txt'), 'alpha\n');
    let r = refwasi(['run', '--dir', `${tmp}::data`, PROBE, 'ls', 'data']);
    expect(r).toEqual({ status: 0, stdout: 'a.txt\nsub\n', stderr: '' });
    r = refwasi(['run', `--dir=${tmp}::/mnt/x`, PROBE, 'read', '/mnt/x/a.txt']);
    expect(r).toEqual({ status: 0, stdout: 'alpha\n', stderr: '' });
    r = refwasi(['run', '--dir', `${tmp}::data`, PROBE, 'write', 'data/sub/new.txt', 'written by the guest']);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(fs.readFileSync(path.join(tmp, 'sub', 'new.txt'), 'utf8')).toBe('written by the guest');
  });

  it('--dir HOST preopens it under its own name; several --dir each get one', () => {
    fs.mkdirSync(path.join(tmp, 'one'));
    fs.mkdirSync(path.join(tmp, 'two'));
    fs.writeFileSync(path.join(tmp, 'one', 'f1'), '1');
    fs.writeFileSync(path.join(tmp, 'two', 'f2'), '2');
    let r = refwasi(['run', '--dir', 'one', '--dir', 'two', PROBE, 'ls', 'two'], { cwd: tmp });
    expect(r).toEqual({ status: 0, stdout: 'f2\n', stderr: '' });
    r = refwasi(['run', '--dir', '.', PROBE, 'read', 'one/f1'], { cwd: tmp });
    expect(r).toEqual({ status: 0, stdout: '1', stderr: '' });
    r = refwasi(['run', '--dir', path.join(tmp, 'one'), PROBE, 'ls', path.join(tmp, 'one')]);
    expect(r).toEqual({ status: 0, stdout: 'f1\n', stderr: '' });
  });

  it('a path outside every --dir is not reachable', () => {
    fs.mkdirSync(path.join(tmp, 'box'));
    fs.writeFileSync(path.join(tmp, 'secret'), 'no');
    const r = refwasi(['run', '--dir', `${path.join(tmp, 'box')}::box`, PROBE, 'read', 'box/../secret']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^fopen box\/\.\.\/secret: /);
  });

  it('--env sets exactly the environment the program sees', () => {
    let r = refwasi(['run', '--env', 'A=1', '--env', 'B=x=y', '--env=C=', PROBE, 'env']);
    expect(r).toEqual({ status: 0, stdout: 'A=1\nB=x=y\nC=\n', stderr: '' });
    r = refwasi(['run', PROBE, 'env']);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('--renumber chooses whether fd_renumber onto a free number is refused', () => {
    const strict = `renumber 0 -> 50: errno ${Errno.BADF}\n`;
    expect(refwasi(['run', PROBE, 'renumber']).stdout).toBe(strict);
    expect(refwasi(['run', '--renumber', 'strict', PROBE, 'renumber']).stdout).toBe(strict);
    expect(refwasi(['run', '--renumber', 'permissive', PROBE, 'renumber']).stdout).toBe('renumber 0 -> 50: errno 0\n');
    expect(refwasi(['run', '--renumber=permissive', PROBE, 'renumber']).stdout).toBe('renumber 0 -> 50: errno 0\n');
  });

  it('says once, after the run, when strict mode refused a renumber onto a free fd', () => {
    const strict = refwasi(['run', PROBE, 'renumber']);
    expect(strict.status).toBe(0);
    expect(strict.stderr).toBe(
      'refwasi: note: 1 fd_renumber onto a free fd refused (EBADF) in strict mode; programs built with the wasmtime preview1 component adapter (Yosys, for one) need --renumber permissive\n',
    );
    expect(refwasi(['run', '--renumber', 'permissive', PROBE, 'renumber']).stderr).toBe('');
    expect(refwasi(['run', PROBE, 'args', 'x']).stderr).toBe('');
  });

  it('everything after the program goes to it untouched, -- and options included (wasmtime 14 and later)', () => {
    const r = refwasi(['run', PROBE, 'args', '--dir', 'x', '--env', '-v', '--', 'two words']);
    expect(r.stdout).toBe([
      'argv[0]=cli_probe.wasm', 'argv[1]=args', 'argv[2]=--dir', 'argv[3]=x', 'argv[4]=--env', 'argv[5]=-v', 'argv[6]=--', 'argv[7]=two words', '',
    ].join('\n'));
    expect(r.status).toBe(0);
    // `--` before the program ends refwasi's options; a program name may then start with '-'.
    expect(refwasi(['--env', 'A=1', '--', PROBE, 'env']).stdout).toBe('A=1\n');
    expect(refwasi(['run', PROBE, 'args', '--help']).stdout).toBe('argv[0]=cli_probe.wasm\nargv[1]=args\nargv[2]=--help\n');
  });

  it('a trap is one line on stderr and status 134', () => {
    const r = refwasi(['run', PROBE, 'trap']);
    expect(r).toEqual({ status: 134, stdout: '', stderr: 'refwasi: cli_probe.wasm trapped: RuntimeError: unreachable\n' });
  });
});

describe("wasmtime's conventions", () => {
  it('--help, -h, help and run --help print the help on stdout, status 0', () => {
    const help = refwasi(['--help']);
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^refwasi: run a WASI preview1 program/);
    for (const flag of ['--dir HOST[::GUEST]', '--env NAME=VALUE', '--env NAME ', '--argv0 NAME', '--invoke NAME', '--renumber MODE', '--trace[=FILE]', '-h, --help', '-V, --version']) {
      expect(help.stdout).toContain(flag);
    }
    for (const args of [['-h'], ['help'], ['run', '--help'], ['run', '-h'], ['--dir', '.', '--help']]) expect(refwasi(args)).toEqual(help);
  });

  it('--version and -V print the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['run', '--version']]) expect(refwasi(args)).toEqual({ status: 0, stdout: `refwasi ${version}\n`, stderr: '' });
  });

  it('`refwasi prog.wasm ...` is `refwasi run prog.wasm ...`', () => {
    expect(refwasi([PROBE, 'say', 'out', 'err'])).toEqual({ status: 0, stdout: 'out\n', stderr: 'err\n' });
    expect(refwasi(['--env', 'K=v', PROBE, 'env'])).toEqual({ status: 0, stdout: 'K=v\n', stderr: '' });
    expect(refwasi([PROBE, 'exit', '4']).status).toBe(4);
  });

  it('--argv0 names the program in its argv', () => {
    expect(refwasi(['--argv0', 'clang++', PROBE, 'args', 'x']).stdout).toBe('argv[0]=clang++\nargv[1]=args\nargv[2]=x\n');
    expect(refwasi(['--argv0=', PROBE]).status).toBe(2);
  });

  it('--env NAME passes the host value on, and leaves NAME out when the host has none (as wasmtime)', () => {
    const r = spawnSync(process.execPath, [BIN, '--env', 'FROM_HOST', '--env', 'NOT_ON_HOST', '--env', 'SET=here', PROBE, 'env'], {
      encoding: 'utf8', env: { PATH: process.env.PATH, FROM_HOST: 'host value' },
    });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'FROM_HOST=host value\nSET=here\n', stderr: '' });
  });

  it('--dir HOST::GUEST is split at the first :: (the rest is the guest path)', () => {
    fs.writeFileSync(path.join(tmp, 'f.txt'), 'found\n');
    expect(refwasi(['--dir', `${tmp}::a::b`, PROBE, 'read', 'a::b/f.txt'])).toEqual({ status: 0, stdout: 'found\n', stderr: '' });
  });
});

/* ---------- --trace ---------- */

describe('--trace[=FILE]: every WASI call as it returns, strace-style', () => {
  const LINE = /^(wasix:)?[a-z_0-9]+\(.*\) = .+ <\d+\.\d+(µs|ms|s)>$/;
  const timeless = (text: string): string[] => text.trimEnd().split('\n').map((l) => l.replace(/ <[^>]+>$/, ''));

  it('--trace writes to stderr, after the call returns, between the program\'s own output', () => {
    const r = refwasi(['--trace', '--dir', `${tmp}::data`, PROBE, 'write', 'data/out.json', '{}']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(LINE);
    expect(timeless(r.stderr)).toEqual(expect.arrayContaining([
      'fd_prestat_dir_name(3, 4) = "data"',
      'path_open(3, "out.json", CREAT|TRUNC, ...) = 4',
      'fd_write(4, [2, 0]) = 2',
      'fd_close(4) = 0',
    ]));
    expect(fs.readFileSync(path.join(tmp, 'out.json'), 'utf8')).toBe('{}');
  });

  it('--trace=FILE writes the trace there; errors by name; proc_exit with its code', () => {
    const file = path.join(tmp, 'trace.txt');
    const r = refwasi([`--trace=${file}`, PROBE, 'renumber']);
    expect(r).toEqual({ status: 0, stdout: `renumber 0 -> 50: errno ${Errno.BADF}\n`, stderr: expect.stringMatching(/^refwasi: note: 1 fd_renumber/) });
    expect(timeless(fs.readFileSync(file, 'utf8'))).toContain('fd_renumber(0, 50) = EBADF');
    refwasi([`--trace=${file}`, PROBE, 'exit', '3']);
    expect(timeless(fs.readFileSync(file, 'utf8')).pop()).toBe('proc_exit(3) = ? (exit 3)');
  });

  it("docs/cli.md's trace excerpt is what the command prints (times aside)", () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
    const excerpt = /A real trace:[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)![1];
    fs.cpSync(path.join(SUITE, 'fs-tests.dir'), path.join(tmp, 'fs-tests.dir'), { recursive: true });
    const r = refwasi(['run', '--trace=trace.txt', '--dir', 'fs-tests.dir', path.join(SUITE, 'numpy_npy.wasm')], { cwd: tmp });
    expect(r.status).toBe(0);
    expect(timeless(fs.readFileSync(path.join(tmp, 'trace.txt'), 'utf8'))).toEqual(timeless(excerpt));
  });

  it('without --trace nothing is traced', () => {
    expect(refwasi([PROBE, 'say', 'a', 'b'])).toEqual({ status: 0, stdout: 'a\n', stderr: 'b\n' });
  });
});

/* ---------- --invoke ---------- */

describe('--invoke NAME: call an export with ARGS as its parameters, print what it returns', () => {
  const F32 = 0x7d;
  const F64 = 0x7c;
  const f64 = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
  let reactor: string;
  let command: string;
  beforeEach(() => {
    reactor = path.join(tmp, 'reactor.wasm');
    fs.writeFileSync(reactor, tiny.wasmModule({
      imports: [tiny.PROC_EXIT],
      globals: [{ name: 'state', value: 0 }],
      funcs: [
        { name: '_initialize', body: [...tiny.op.i32(42), ...tiny.op.globalSet(0)] },
        { name: 'state_now', results: [tiny.I32], body: tiny.op.globalGet(0) },
        { name: 'add', params: [tiny.I32, tiny.I32], results: [tiny.I32], body: [...tiny.op.localGet(0), ...tiny.op.localGet(1), ...tiny.op.i32Add] },
        { name: 'next', params: [tiny.I64], results: [tiny.I64], body: [...tiny.op.localGet(0), 0x42, 0x01, 0x7c] },
        { name: 'half', params: [F64], results: [F64], body: [...tiny.op.localGet(0), ...f64(0.5), 0xa2] },
        { name: 'same32', params: [F32], results: [F32], body: tiny.op.localGet(0) },
        { name: 'pair', results: [tiny.I32, tiny.I32], body: [...tiny.op.i32(1), ...tiny.op.i32(-2)] },
        { name: 'quit', params: [tiny.I32], body: [...tiny.op.localGet(0), ...tiny.op.call(0)] },
        { name: 'boom', body: [0x00] },
        { name: 'nothing', body: [] },
      ],
    }));
    command = path.join(tmp, 'command.wasm');
    fs.writeFileSync(command, tiny.wasmModule({
      funcs: [
        { name: '_start', body: [0x00] },
        { name: 'seven', results: [tiny.I32], body: tiny.op.i32(7) },
      ],
    }));
  });

  it('a reactor: _initialize runs first, then the function, its result on stdout', () => {
    expect(refwasi(['--invoke', 'state_now', reactor])).toEqual({ status: 0, stdout: '42\n', stderr: '' });
    expect(refwasi(['--invoke', 'add', reactor, '2', '40'])).toEqual({ status: 0, stdout: '42\n', stderr: '' });
    expect(refwasi(['--invoke', 'add', reactor, '0x10', '-1']).stdout).toBe('15\n');
    expect(refwasi(['--invoke', 'add', reactor, '2147483647', '1']).stdout).toBe('-2147483648\n');
  });

  it('i64, f32 and f64 parameters and results; several results; none', () => {
    expect(refwasi(['--invoke', 'next', reactor, '9007199254740993']).stdout).toBe('9007199254740994\n');
    expect(refwasi(['--invoke', 'next', reactor, '0x7fffffffffffffff']).stdout).toBe('-9223372036854775808\n');
    expect(refwasi(['--invoke', 'half', reactor, '3']).stdout).toBe('1.5\n');
    expect(refwasi(['--invoke', 'half', reactor, '-inf']).stdout).toBe('-inf\n');
    expect(refwasi(['--invoke', 'same32', reactor, '0.1']).stdout).toBe('0.1\n');
    expect(refwasi(['--invoke', 'pair', reactor]).stdout).toBe('1 -2\n');
    expect(refwasi(['--invoke', 'nothing', reactor])).toEqual({ status: 0, stdout: '\n', stderr: '' });
  });

  it("a command's export is called without _start", () => {
    expect(refwasi(['--invoke', 'seven', command])).toEqual({ status: 0, stdout: '7\n', stderr: '' });
  });

  it('proc_exit in the function is the exit status; a trap is 134', () => {
    expect(refwasi(['--invoke', 'quit', reactor, '5'])).toEqual({ status: 5, stdout: '', stderr: '' });
    expect(refwasi(['--invoke', 'boom', reactor])).toEqual({ status: 134, stdout: '', stderr: 'refwasi: reactor.wasm trapped: RuntimeError: unreachable\n' });
  });

  it('a missing export, too few or bad arguments: one line, status 1', () => {
    expectFailure(refwasi(['--invoke', 'nope', reactor]), 1, /'reactor\.wasm' exports no function named 'nope'/);
    expectFailure(refwasi(['--invoke', 'state', reactor]), 1, /exports no function named 'state'/);
    expectFailure(refwasi(['--invoke', 'add', reactor, '1']), 1, /not enough arguments for `add`: it takes 2, got 1/);
    expectFailure(refwasi(['--invoke', 'add', reactor, '1', 'x']), 1, /'x' is not a valid i32 for `add`/);
    expectFailure(refwasi(['--invoke', 'add', reactor, '1', '4294967296']), 1, /'4294967296' is not a valid i32/);
    expectFailure(refwasi(['--invoke', 'half', reactor, '1e']), 1, /'1e' is not a valid f64/);
    expectFailure(refwasi(['--invoke']), 2, /'--invoke <value>' argument missing/);
  });
});

/* ---------- bad input ---------- */

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const str = (s: string): number[] => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];

type ImportKind = 'function' | 'memory' | 'global';

interface ModuleSpec {
  /** Imports: functions of type () -> (), a memory, or an immutable i32 global. */
  imports?: { module: string; name: string; kind?: ImportKind }[];
  start?: boolean;
  memory?: boolean;
}

const IMPORT_DESC: Record<ImportKind, number[]> = { function: [0x00, 0x00], memory: [0x02, 0x00, 0x01], global: [0x03, 0x7f, 0x00] };

/** A minimal module, written byte by byte: imports, an empty _start, an exported memory. */
function wasmModule({ imports = [], start = true, memory = true }: ModuleSpec): Buffer {
  const funcImports = imports.filter((i) => (i.kind ?? 'function') === 'function').length;
  const importsMemory = imports.some((i) => i.kind === 'memory');
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(2, vec(imports.map((i) => [...str(i.module), ...str(i.name), ...IMPORT_DESC[i.kind ?? 'function']]))),
    ...(start ? section(3, vec([[0x00]])) : []),
    ...(memory && !importsMemory ? section(5, vec([[0x00, 0x01]])) : []),
    ...section(7, vec([
      ...(start ? [[...str('_start'), 0x00, ...leb(funcImports)]] : []),
      ...(memory || importsMemory ? [[...str('memory'), 0x02, 0x00]] : []),
    ])),
    ...(start ? section(10, vec([[0x02, 0x00, 0x0b]])) : []),
  ];
  return Buffer.from(bytes);
}

/** One line on stderr, the given status, nothing on stdout, no stack trace. */
function expectFailure(r: Run, status: 1 | 2, message: RegExp): void {
  expect(r.stderr).toMatch(/^refwasi: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(status);
}

describe('a bad command line: one line on stderr, status 2, as wasmtime', () => {
  const expectUsageError = (r: Run, message: RegExp): void => expectFailure(r, 2, message);

  it('an unknown flag, long or short, before the program', () => {
    expectUsageError(refwasi(['run', '--frobnicate', PROBE]), /unknown option '--frobnicate' \(see refwasi --help\)/);
    expectUsageError(refwasi(['run', '-x', PROBE]), /unknown option '-x'/);
    expectUsageError(refwasi(['--frobnicate', PROBE]), /unknown option '--frobnicate'/);
  });

  it('no program, a mistyped command, a flag without its value', () => {
    expectUsageError(refwasi([]), /no program given \(usage: refwasi \[run\] \[OPTIONS\] <WASM> \[ARGS\.\.\.\]/);
    expectUsageError(refwasi(['run']), /no program given/);
    expectUsageError(refwasi(['frob', PROBE]), /unknown command or missing file 'frob'/);
    expectUsageError(refwasi(['run', '--dir']), /'--dir <value>' argument missing/);
    expectUsageError(refwasi(['run', '--renumber']), /'--renumber <value>' argument missing/);
    expectUsageError(refwasi(['--argv0', '', PROBE]), /--argv0 needs a name/);
    expectUsageError(refwasi(['--invoke=', PROBE]), /--invoke needs a function name/);
  });

  it('a bad --dir: an empty side, or one guest path given twice', () => {
    expectUsageError(refwasi(['run', '--dir', '::data', PROBE]), /bad --dir '::data': expected HOST or HOST::GUEST/);
    expectUsageError(refwasi(['run', '--dir', 'data::', PROBE]), /bad --dir 'data::'/);
    fs.mkdirSync(path.join(tmp, 'a'));
    fs.mkdirSync(path.join(tmp, 'b'));
    expectUsageError(refwasi(['--dir', `${tmp}/a::data`, '--dir', `${tmp}/b::data`, PROBE]), /--dir: the guest path 'data' is given twice \(for '.*\/a' and '.*\/b'\)/);
    expectUsageError(refwasi(['--dir', 'a', '--dir', 'a', PROBE], { cwd: tmp }), /the guest path 'a' is given twice/);
  });

  it('a bad --renumber or --env value', () => {
    expectUsageError(refwasi(['run', '--renumber', 'sloppy', PROBE]), /bad --renumber 'sloppy': expected strict or permissive/);
    expectUsageError(refwasi(['run', '--env', '=v', PROBE]), /bad --env '=v': expected NAME=VALUE or NAME/);
    expectUsageError(refwasi(['run', '--env=', PROBE]), /bad --env ''/);
  });
});

describe('a program that cannot be run: one line on stderr, status 1, as wasmtime', () => {
  const expectRunError = (r: Run, message: RegExp): void => expectFailure(r, 1, message);

  it('the hand-made module runs when it imports only what refwasi provides (the cases below fail for their reason)', () => {
    const file = path.join(tmp, 'ok.wasm');
    fs.writeFileSync(file, wasmModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'sched_yield' }, { module: 'wasix_32v1', name: 'fd_dup' }] }));
    expect(refwasi(['run', file])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('a missing file, a directory, and a file that is not wasm', () => {
    expectRunError(refwasi(['run', path.join(tmp, 'missing.wasm')]), /cannot read '.*missing\.wasm': ENOENT/);
    expectRunError(refwasi(['run', tmp]), /is not a file/);
    fs.writeFileSync(path.join(tmp, 'text.wasm'), 'this is not wasm\n');
    expectRunError(refwasi(['run', path.join(tmp, 'text.wasm')]), /'.*text\.wasm' is not a WebAssembly module/);
    fs.writeFileSync(path.join(tmp, 'cut.wasm'), fs.readFileSync(PROBE).subarray(0, 1000));
    expectRunError(refwasi(['run', path.join(tmp, 'cut.wasm')]), /is not a WebAssembly module/);
  });

  it('a module importing functions refwasi does not provide: every one is named', () => {
    const file = path.join(tmp, 'imports.wasm');
    fs.writeFileSync(file, wasmModule({
      imports: [
        { module: 'wasi_snapshot_preview1', name: 'fd_write' },
        { module: 'wasi_snapshot_preview1', name: 'not_a_function' },
        { module: 'env', name: 'foo' },
        { module: 'wasi_snapshot_preview1', name: 'toString' },
        { module: 'env', name: 'memory', kind: 'memory' },
      ],
    }));
    const r = refwasi(['run', file]);
    expectRunError(r, /'imports\.wasm' imports what refwasi does not provide: wasi_snapshot_preview1\.not_a_function, env\.foo, wasi_snapshot_preview1\.toString, env\.memory \(memory\)$/m);
  });

  it('a provided name imported as something else, a module with no _start, one with no memory', () => {
    fs.writeFileSync(path.join(tmp, 'kind.wasm'), wasmModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'global' }] }));
    expectRunError(refwasi(['run', path.join(tmp, 'kind.wasm')]), /does not provide: wasi_snapshot_preview1\.fd_write \(global\)$/m);
    fs.writeFileSync(path.join(tmp, 'reactor.wasm'), wasmModule({ start: false }));
    expectRunError(refwasi(['run', path.join(tmp, 'reactor.wasm')]), /'reactor\.wasm' is not a command: it exports no _start function \(call one of its functions with --invoke NAME\)/);
    fs.writeFileSync(path.join(tmp, 'nomem.wasm'), wasmModule({ memory: false, imports: [{ module: 'wasi_snapshot_preview1', name: 'sched_yield' }] }));
    expectRunError(refwasi(['run', path.join(tmp, 'nomem.wasm')]), /'nomem\.wasm' exports no memory/);
  });

  it('a --dir that does not exist, or is a file', () => {
    expectRunError(refwasi(['run', '--dir', path.join(tmp, 'nope'), PROBE, 'exit', '0']), /--dir '.*nope': ENOENT/);
    fs.writeFileSync(path.join(tmp, 'file'), '');
    expectRunError(refwasi(['run', '--dir', `${path.join(tmp, 'file')}::data`, PROBE, 'exit', '0']), /--dir '.*file': .*not a directory/);
  });

  it('a --trace file that cannot be written', () => {
    expectRunError(refwasi([`--trace=${path.join(tmp, 'no', 'such', 'dir.txt')}`, PROBE, 'exit', '0']), /--trace: cannot open '.*dir\.txt': ENOENT/);
  });
});

/* ---------- the NumPy story ---------- */

describe('np.load end to end over a real directory', () => {
  it('numpy_npy writes a real .npy, loads it back through fopen/dup/fdopen/fclose/fclose, and cleans up', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(SUITE, 'numpy_npy.json'), 'utf8')) as { dirs: string[]; stdout: string; exit_code: number };
    expect(spec.dirs).toEqual(['fs-tests.dir']);
    const copy = path.join(tmp, 'fs-tests.dir');
    fs.cpSync(path.join(SUITE, 'fs-tests.dir'), copy, { recursive: true });
    const before = fs.readdirSync(copy, { recursive: true }).map(String).sort();
    const r = refwasi(['run', '--dir', `${copy}::fs-tests.dir`, path.join(SUITE, 'numpy_npy.wasm')]);
    expect(r).toEqual({ status: spec.exit_code, stdout: spec.stdout, stderr: '' });
    expect(r.stdout).toContain('ok: value[3] = 10000000000\n');
    // The fixture removes its .npy at the end: the directory is as it was.
    expect(fs.readdirSync(copy, { recursive: true }).map(String).sort()).toEqual(before);
  });

  it('numpy_load reads the committed small.npy the same way', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(SUITE, 'numpy_load.json'), 'utf8')) as { dirs: string[]; stdout: string; exit_code: number };
    const copy = path.join(tmp, 'fs-tests.dir');
    fs.cpSync(path.join(SUITE, 'fs-tests.dir'), copy, { recursive: true });
    const r = refwasi(['run', '--dir', `${copy}::fs-tests.dir`, path.join(SUITE, 'numpy_load.wasm')]);
    expect(r).toEqual({ status: spec.exit_code, stdout: spec.stdout, stderr: '' });
  });
});

describe('a wasi-threads program, as `wasmtime run -S threads` runs it', () => {
  const THREADS = path.join(ROOT, 'fixtures', 'threads');
  const spec = (name: string) => JSON.parse(fs.readFileSync(path.join(THREADS, `${name}.json`), 'utf8'));

  // Every fixture but the trap (its one line of stderr is checked below).
  const all = fs.readdirSync(THREADS).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).filter((n) => n !== 'trap_in_thread').sort();
  test.each(all)('%s: a worker per thread, one descriptor table', (name) => {
    const copy = path.join(tmp, `${name}.dir`);
    fs.cpSync(path.join(THREADS, 'fs-tests.dir'), copy, { recursive: true });
    const r = refwasi(['run', '--dir', `${copy}::fs-tests.dir`, path.join(THREADS, `${name}.wasm`)]);
    const want = spec(name);
    expect(r).toEqual({ status: want.exit_code ?? 0, stdout: want.stdout, stderr: want.stderr ?? '' });
  });

  test('proc_exit in a thread ends the program with its code', () => {
    const r = refwasi([path.join(THREADS, 'exit_in_thread.wasm')]);
    expect(r).toEqual({ status: 7, stdout: spec('exit_in_thread').stdout, stderr: '' });
  });

  test('a trap in a thread: 134 and one line', () => {
    const r = refwasi([path.join(THREADS, 'trap_in_thread.wasm')]);
    expect(r.status).toBe(134);
    expect(r.stdout).toBe(spec('trap_in_thread').stdout);
    expect(r.stderr).toBe('refwasi: trap_in_thread.wasm trapped: WasiTrap: unreachable\n');
  });

  test('--invoke is refused for a program with threads', () => {
    const r = refwasi(['--invoke', 'main', path.join(THREADS, 'open_read_across.wasm')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--invoke/);
  });
});
