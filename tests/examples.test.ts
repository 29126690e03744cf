// examples/node/*.mjs, run by Node as a user runs them, against the built package (they
// import `refwasi/node`, which resolves to this package by its own name).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from './helpers/packed';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples', 'node');

function example(name: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(EXAMPLES, `${name}.mjs`), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(ensureBuilt, 120_000);

it('every example has its program, and the README lists it', () => {
  const readme = fs.readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');
  for (const js of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.mjs') && f !== 'build.mjs')) {
    const name = js.slice(0, -4);
    expect(fs.existsSync(path.join(EXAMPLES, `${name}.c`))).toBe(true);
    expect(fs.existsSync(path.join(EXAMPLES, `${name}.wasm`))).toBe(true);
    expect(readme).toContain(`node examples/node/${js}`);
  }
});

it('hello: arguments, environment and stdout', () => {
  expect(example('hello')).toEqual({ status: 0, stdout: 'Hello, world!\n', stderr: '' });
  expect(example('hello', 'refwasi')).toEqual({ status: 0, stdout: 'Hello, refwasi!\n', stderr: '' });
});

it('wordcount: reads and writes a real directory preopened as data, and nothing else', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-example-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.txt'), 'one two\nthree\n');
    const r = example('wordcount', dir);
    expect(r).toEqual({ status: 0, stdout: 'wrote data/report.txt\nreport.txt: 2 lines, 3 words, 14 bytes\n', stderr: '' });
    expect(fs.readdirSync(dir).sort()).toEqual(['in.txt', 'report.txt']);
    // Without its input the program fails the way the guest sees it: ENOENT through perror.
    fs.rmSync(path.join(dir, 'in.txt'));
    expect(example('wordcount', dir)).toEqual({ status: 1, stdout: '', stderr: 'data/in.txt: No such file or directory\n' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(example('wordcount')).toEqual({ status: 0, stdout: 'wrote data/report.txt\nreport.txt: 3 lines, 9 words, 44 bytes\n', stderr: '' });
});

it('redirect: dup2 moves stdout into a file and back', () => {
  expect(example('redirect')).toEqual({
    status: 0, stderr: '',
    stdout: '1. on the terminal\n3. back on the terminal\nlog.txt: 2. in data/log.txt, through fd 1\n',
  });
});
