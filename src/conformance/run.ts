// Runs each test under each runtime in a child process, over a fresh copy of its dirs, with
// a timeout, and judges the result against the spec as the official runner does (exit code,
// then stdout, then stderr where the spec gives them).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Runtime } from './runtimes';
import type { Need, TestCase } from './suite';

export type Status = 'pass' | 'fail' | 'timeout' | 'n/a' | 'missing';

export interface Outcome {
  status: Status;
  /** One line: why it failed, or why it was not run. */
  reason?: string;
}

const NEED_REASON: Record<Need, string> = {
  wasix_32v1: 'imports wasix_32v1 (the dup extension)',
  'renumber-permissive': 'needs fd_renumber onto a free fd (refwasi renumber: permissive)',
  'wasi-threads': 'a threaded program (imports wasi.thread-spawn)',
};

/** A string shortened to one readable line (line breaks and tabs written as \n and \t). */
function oneLine(s: string, max = 120): string {
  const flat = s.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** The line of stderr that says most: the first one, with the message after a Rust panic's location. */
function telling(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const i = lines.findIndex((l) => l.includes('panicked at'));
  return i >= 0 && i + 1 < lines.length ? `${lines[i]} ${lines[i + 1]}` : lines[0]!;
}

/** Where two outputs first differ, as one line. */
function difference(what: string, got: string, expected: string): string {
  const g = got.split('\n');
  const e = expected.split('\n');
  let i = 0;
  while (i < g.length && i < e.length && g[i] === e[i]) i++;
  return `${what} line ${i + 1}: got "${oneLine(g[i] ?? '<end>')}", expected "${oneLine(e[i] ?? '<end>')}"`;
}

export function judge(test: TestCase, got: { code: number | null; signal: string | null; stdout: string; stderr: string }): Outcome {
  const expectedCode = test.spec.exit_code ?? 0;
  if (got.code !== expectedCode) {
    const how = got.code === null ? `killed by ${got.signal}` : `exit ${got.code}`;
    const said = got.stderr.trim() ? `; stderr: ${oneLine(telling(got.stderr))}` : '';
    return { status: 'fail', reason: `${how}, expected ${expectedCode}${said}` };
  }
  if (test.spec.stdout !== undefined && got.stdout !== test.spec.stdout) return { status: 'fail', reason: difference('stdout', got.stdout, test.spec.stdout) };
  if (test.spec.stderr !== undefined && got.stderr !== test.spec.stderr) return { status: 'fail', reason: difference('stderr', got.stderr, test.spec.stderr) };
  return { status: 'pass' };
}

export function runOne(test: TestCase, runtime: Runtime, timeoutMs: number): Outcome {
  if (runtime.version === null) return { status: 'missing', reason: runtime.missing };
  const lacking = test.needs.filter((n) => !runtime.provides.includes(n));
  if (lacking.length > 0) return { status: 'n/a', reason: NEED_REASON[lacking[0]!] };
  const work = mkdtempSync(join(tmpdir(), 'refwasi-conformance-'));
  try {
    const suite = dirname(test.wasm);
    const dirs = (test.spec.dirs ?? []).map((guest) => {
      const host = join(work, guest);
      cpSync(join(suite, guest), host, { recursive: true, verbatimSymlinks: true });
      return { host, guest };
    });
    const { file, args } = runtime.invocation({
      wasm: test.wasm, args: test.spec.args ?? [], env: test.spec.env ?? {}, dirs, renumber: test.spec.refwasi?.renumber ?? 'strict',
    });
    const r = spawnSync(file, args, {
      // The caller's directory, so a template's relative paths mean what they meant there;
      // the guest reaches nothing but the copies it is given.
      cwd: process.cwd(), encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20,
      // stdin is /dev/null for every runtime: the same empty input, and nothing to wait for.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const error = r.error as NodeJS.ErrnoException | undefined;
    if (error?.code === 'ETIMEDOUT') return { status: 'timeout', reason: `no exit within ${timeoutMs / 1000} s` };
    if (error !== undefined) return { status: 'fail', reason: `could not run '${file}': ${error.code ?? error.message}` };
    return judge(test, { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
