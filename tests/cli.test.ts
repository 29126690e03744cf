// The `refwasi run` command, as a user runs it: `node bin/refwasi.js run ...` in a child
// process with its own stdin, stdout, stderr and exit status, over real directories.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno } from '../src/abi/constants';

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
    r = refwasi(['run', PROBE, '--dir', `${tmp}::data`, 'write', 'data/sub/new.txt', 'written by the guest']);
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

  it('arguments after -- go to the program untouched, even ones that look like options', () => {
    const r = refwasi(['run', PROBE, '--', 'args', '--dir', 'x', '--env', '-v', '--', 'two words']);
    expect(r.stdout).toBe([
      'argv[0]=cli_probe.wasm', 'argv[1]=args', 'argv[2]=--dir', 'argv[3]=x', 'argv[4]=--env', 'argv[5]=-v', 'argv[6]=--', 'argv[7]=two words', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('a trap is one line on stderr and status 134', () => {
    const r = refwasi(['run', PROBE, 'trap']);
    expect(r).toEqual({ status: 134, stdout: '', stderr: 'refwasi: cli_probe.wasm trapped: RuntimeError: unreachable\n' });
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

describe('bad input: one line on stderr, status 2, no stack trace', () => {
  function expectUsageError(r: Run, message: RegExp): void {
    expect(r.stderr).toMatch(/^refwasi: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  }

  it('the hand-made module runs when it imports only what refwasi provides (the cases below fail for their reason)', () => {
    const file = path.join(tmp, 'ok.wasm');
    fs.writeFileSync(file, wasmModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'sched_yield' }, { module: 'wasix_32v1', name: 'fd_dup' }] }));
    expect(refwasi(['run', file])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('an unknown flag', () => {
    expectUsageError(refwasi(['run', '--frobnicate', PROBE]), /unknown option '--frobnicate'/);
    expectUsageError(refwasi(['run', '-x', PROBE]), /unknown option '-x'/);
  });

  it('no command, an unknown command, no program', () => {
    expectUsageError(refwasi([]), /usage: refwasi run/);
    expectUsageError(refwasi(['frob', PROBE]), /unknown command 'frob'/);
    expectUsageError(refwasi(['run']), /no program given/);
    expectUsageError(refwasi(['run', '--dir']), /--dir needs a value/);
  });

  it('a missing file, a directory, and a file that is not wasm', () => {
    expectUsageError(refwasi(['run', path.join(tmp, 'missing.wasm')]), /cannot read '.*missing\.wasm': ENOENT/);
    expectUsageError(refwasi(['run', tmp]), /is not a file/);
    fs.writeFileSync(path.join(tmp, 'text.wasm'), 'this is not wasm\n');
    expectUsageError(refwasi(['run', path.join(tmp, 'text.wasm')]), /'.*text\.wasm' is not a WebAssembly module/);
    fs.writeFileSync(path.join(tmp, 'cut.wasm'), fs.readFileSync(PROBE).subarray(0, 1000));
    expectUsageError(refwasi(['run', path.join(tmp, 'cut.wasm')]), /is not a WebAssembly module/);
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
    expectUsageError(r, /'imports\.wasm' imports what refwasi does not provide: wasi_snapshot_preview1\.not_a_function, env\.foo, wasi_snapshot_preview1\.toString, env\.memory \(memory\)$/m);
  });

  it('a provided name imported as something else, a module with no _start, one with no memory', () => {
    fs.writeFileSync(path.join(tmp, 'kind.wasm'), wasmModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'global' }] }));
    expectUsageError(refwasi(['run', path.join(tmp, 'kind.wasm')]), /does not provide: wasi_snapshot_preview1\.fd_write \(global\)$/m);
    fs.writeFileSync(path.join(tmp, 'reactor.wasm'), wasmModule({ start: false }));
    expectUsageError(refwasi(['run', path.join(tmp, 'reactor.wasm')]), /'reactor\.wasm' is not a command: it exports no _start function/);
    fs.writeFileSync(path.join(tmp, 'nomem.wasm'), wasmModule({ memory: false }));
    expectUsageError(refwasi(['run', path.join(tmp, 'nomem.wasm')]), /'nomem\.wasm' exports no memory/);
  });

  it('a --dir that does not exist, or is a file', () => {
    expectUsageError(refwasi(['run', '--dir', path.join(tmp, 'nope'), PROBE, 'exit', '0']), /--dir '.*nope': ENOENT/);
    fs.writeFileSync(path.join(tmp, 'file'), '');
    expectUsageError(refwasi(['run', '--dir', `${path.join(tmp, 'file')}::data`, PROBE, 'exit', '0']), /--dir '.*file': .*not a directory/);
    expectUsageError(refwasi(['run', '--dir', '::data', PROBE]), /bad --dir '::data'/);
  });

  it('a bad --renumber or --env value', () => {
    expectUsageError(refwasi(['run', '--renumber', 'sloppy', PROBE]), /bad --renumber 'sloppy': expected strict or permissive/);
    expectUsageError(refwasi(['run', '--renumber']), /--renumber needs a value/);
    expectUsageError(refwasi(['run', '--env', 'NOEQUALS', PROBE]), /bad --env 'NOEQUALS'/);
    expectUsageError(refwasi(['run', '--env', '=v', PROBE]), /bad --env '=v'/);
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
