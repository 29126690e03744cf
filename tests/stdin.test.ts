// stdin: the host's own (refwasi/node, stdin: 'inherit') fed through real pipes, sockets and
// files to a program in a child process; and stdin as a function, for embedders.
import { spawn, type ChildProcess } from 'node:child_process';
import { buildSync } from 'esbuild';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clockid, Errno, Eventrwflags, Filetype } from '../src/abi/constants';
import { WASI as CoreWASI } from '../src/index';
import { NodeStdin, WASI } from '../src/node';
import { NodeStdioHandle } from '../src/backends/node/stdio';
import { OUT, Raw, SCRATCH } from './helpers/raw-preview1';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
const ECHO = join(ROOT, 'fixtures', 'testsuite', 'stdin_echo.wasm');
let bundleDir: string;
/** node + the child script, bundled once (starting ts-node in every child would take seconds each). */
let CHILD: string[];

beforeAll(() => {
  bundleDir = mkdtempSync(join(tmpdir(), 'refwasi-stdin-child-'));
  const outfile = join(bundleDir, 'stdin-child.js');
  buildSync({ entryPoints: [join(__dirname, 'helpers', 'stdin-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'error' });
  CHILD = [outfile];
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text`. */
  waitFor: (text: string) => Promise<void>;
  done: Promise<number>;
}

function collect(child: ChildProcess): Run {
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('latin1');
    for (const w of waiters.splice(0)) {
      if (out.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text) => (out.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
    done,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHUNKS = ['alpha\n', 'beta beta\n', 'gamma!\n'];
const TOTAL = CHUNKS.join('').length;

function eagainOf(stderr: string): number {
  const m = /eagain=(\d+)/.exec(stderr);
  if (!m) throw new Error(`no eagain report in stderr: ${stderr}`);
  return Number(m[1]);
}

/** Feeds CHUNKS one at a time, each only after the program echoed the previous one (so every read waits). */
async function feedInTurns(run: Run, write: (s: string) => void, end: () => void): Promise<void> {
  for (const chunk of CHUNKS) {
    write(chunk);
    await run.waitFor(chunk);
    await sleep(30);
  }
  end();
}

describe("stdin: 'inherit' in a child process", () => {
  it.each([
    ['blocking', '0', ''],
    ['non-blocking: EAGAIN is waited out', '1', ''],
    ['non-blocking, poll() before each read', '1', '--poll'],
  ])('a socket from spawn(), %s', async (_name, touch, flag) => {
    const child = spawn(process.execPath, [...CHILD, ECHO, ...(flag ? [flag] : [])], {
      cwd: ROOT, env: { ...process.env, TOUCH_STDIN: touch }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const run = collect(child);
    await feedInTurns(run, (s) => child.stdin!.write(s), () => child.stdin!.end());
    expect(await run.done).toBe(0);
    expect(run.stdout()).toBe(CHUNKS.join(''));
    expect(run.stderr()).toContain(`stdin_echo: ${TOTAL} bytes`);
    if (touch === '1') expect(eagainOf(run.stderr())).toBeGreaterThan(0);
    else expect(eagainOf(run.stderr())).toBe(0);
  });

  it.each([
    ['blocking', '0'],
    ['non-blocking', '1'],
  ])('a real pipe from another process (a shell pipeline), %s', async (_name, touch) => {
    const dir = mkdtempSync(join(tmpdir(), 'refwasi-stdin-'));
    try {
      // The producer writes each chunk once the test has seen the previous one echoed, then ends.
      const producer = `
        const fs = require('fs'); const chunks = ${JSON.stringify(CHUNKS)};
        let i = 0;
        const next = () => {
          if (i > 0 && !fs.existsSync(${JSON.stringify(dir)} + '/go' + i)) return setTimeout(next, 5);
          if (i === chunks.length) return;
          fs.writeSync(1, chunks[i++]);
          next();
        };
        next();`;
      writeFileSync(join(dir, 'producer.js'), producer);
      const consumer = [process.execPath, ...CHILD, ECHO].map((a) => `'${a}'`).join(' ');
      const child = spawn('/bin/sh', ['-c', `'${process.execPath}' '${join(dir, 'producer.js')}' | ${consumer}`], {
        cwd: ROOT, env: { ...process.env, TOUCH_STDIN: touch }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const run = collect(child);
      for (let i = 0; i < CHUNKS.length; i++) {
        await run.waitFor(CHUNKS[i]);
        await sleep(30);
        writeFileSync(join(dir, `go${i + 1}`), '');
      }
      expect(await run.done).toBe(0);
      expect(run.stdout()).toBe(CHUNKS.join(''));
      expect(run.stderr()).toContain(`stdin_echo: ${TOTAL} bytes`);
      if (touch === '1') expect(eagainOf(run.stderr())).toBeGreaterThan(0);
      else expect(eagainOf(run.stderr())).toBe(0);
      expect(existsSync(join(dir, `go${CHUNKS.length}`))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file: a megabyte of bytes arrives whole and in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refwasi-stdin-'));
    try {
      const data = Buffer.alloc(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
      const file = join(dir, 'in.bin');
      writeFileSync(file, data);
      const fd = openSync(file, 'r');
      const child = spawn(process.execPath, [...CHILD, ECHO], { cwd: ROOT, stdio: [fd, 'pipe', 'pipe'] });
      closeSync(fd);
      const run = collect(child);
      expect(await run.done).toBe(0);
      expect(Buffer.from(run.stdout(), 'latin1').equals(data)).toBe(true);
      expect(run.stderr()).toContain(`stdin_echo: ${data.length} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nothing at all (/dev/null): end of file at once, and again', async () => {
    const child = spawn(process.execPath, [...CHILD, ECHO, '--poll'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const run = collect(child);
    expect(await run.done).toBe(0);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toContain('stdin_echo: 0 bytes');
  });
});

describe('NodeStdin in this process', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'refwasi-stdin-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file fd from its current offset to the end, then 0 each time; poll says ready', () => {
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'skip:content');
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(5);
      require('node:fs').readSync(fd, buf, 0, 5, null);
      const raw = new Raw({ stdin: new NodeStdin(fd) });
      expect(raw.poll([{ userdata: 1, read: 0 }]).events).toEqual([
        { userdata: 1n, error: 0, type: 1, nbytes: 1n, flags: 0 },
      ]);
      expect(raw.read(0, 4)).toEqual({ errno: 0, data: 'cont' });
      expect(raw.read(0)).toEqual({ errno: 0, data: 'ent' });
      expect(raw.read(0)).toEqual({ errno: 0, data: '' });
      expect(raw.read(0)).toEqual({ errno: 0, data: '' });
      // After the end of a non-terminal: HANGUP.
      expect(raw.poll([{ userdata: 1, read: 0 }]).events[0].flags).toBe(Eventrwflags.FD_READWRITE_HANGUP);
      expect(raw.p1.fd_fdstat_get(0, SCRATCH)).toBe(0);
      expect(raw.bytes[SCRATCH]).toBe(Filetype.UNKNOWN);
      expect(raw.write(0, 'x').errno).toBe(Errno.BADF);
      // Closing the guest's fd 0 leaves the host fd open.
      expect(raw.p1.fd_close(0)).toBe(0);
      expect(() => writeSync(fd, 'x')).toThrow(/EBADF/);
      expect(require('node:fs').fstatSync(fd).isFile()).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('a host read error becomes its errno, not an exception', () => {
    const fd = openSync(dir, 'r');
    try {
      const raw = new Raw({ stdin: new NodeStdin(fd) });
      expect(raw.read(0).errno).toBe(Errno.ISDIR);
    } finally {
      closeSync(fd);
    }
  });

  it("refwasi/node maps 'inherit' to the host's stdio; the browser-safe core refuses it clearly", () => {
    const wasi = new WASI({ stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
    expect(wasi.table.get(0).handle).toBeInstanceOf(NodeStdin);
    expect(wasi.table.get(1).handle).toBeInstanceOf(NodeStdioHandle);
    expect(wasi.table.get(2).handle).toBeInstanceOf(NodeStdioHandle);
    expect(wasi).toBeInstanceOf(CoreWASI);
    expect(() => new CoreWASI({ stdin: 'inherit' as never })).toThrow("stdin: 'inherit' needs the host's stdio: import { WASI } from 'refwasi/node'");
    expect(() => new CoreWASI({ stdout: 'inherit' as never })).toThrow(TypeError);
  });
});

describe('stdin as a function', () => {
  it('keeps what a short read leaves, calls the function only when empty, never after null', () => {
    const chunks: (string | Uint8Array | null)[] = ['0123456789', new Uint8Array([65, 66]), '', 'z', null, 'never'];
    let calls = 0;
    const raw = new Raw({ stdin: () => (calls++, chunks.shift() ?? null) });
    expect(raw.read(0, 4).data).toBe('0123');
    expect(raw.read(0, 4).data).toBe('4567');
    expect(raw.read(0, 4).data).toBe('89');
    expect(calls).toBe(1);
    expect(raw.read(0).data).toBe('AB');
    expect(raw.read(0).data).toBe('z');
    expect(raw.read(0)).toEqual({ errno: 0, data: '' });
    expect(raw.read(0)).toEqual({ errno: 0, data: '' });
    expect(calls).toBe(5);
  });

  it('the chunk is copied: changing it afterwards changes nothing', () => {
    const chunk = new Uint8Array([1, 2, 3, 4]);
    const raw = new Raw({ stdin: () => chunk });
    raw.read(0, 2);
    chunk.fill(9);
    expect([...raw.bytes.subarray(SCRATCH, SCRATCH + 2)]).toEqual([1, 2]);
    raw.read(0, 2);
    expect([...raw.bytes.subarray(SCRATCH, SCRATCH + 2)]).toEqual([3, 4]);
  });

  it('a function that grows the memory during the read (detaching it) still delivers its chunk', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    let raw!: Raw;
    let calls = 0;
    raw = new Raw({
      stdin: () => {
        calls++;
        if (calls > 1) return null;
        memory.grow(1);
        return 'after grow';
      },
    }, memory);
    const before = memory.buffer;
    expect(raw.read(0)).toEqual({ errno: 0, data: 'after grow' });
    expect(before.byteLength).toBe(0); // the old buffer was detached mid-call
    expect(memory.buffer.byteLength).toBe(3 * 65536);
    expect(calls).toBe(1);
    expect(raw.u32(OUT)).toBe(10);
  });

  it('a function that throws fails the read with EIO, and the next read asks again', () => {
    let calls = 0;
    const raw = new Raw({
      stdin: () => {
        calls++;
        if (calls === 1) throw new Error('host trouble');
        return calls === 2 ? 'ok' : null;
      },
    });
    expect(raw.read(0).errno).toBe(Errno.IO);
    expect(raw.read(0).data).toBe('ok');
    expect(raw.poll([{ userdata: 1, read: 0 }, { userdata: 2, clock: { id: Clockid.MONOTONIC, timeout: 0n } }]).events[0].flags).toBe(
      Eventrwflags.FD_READWRITE_HANGUP,
    );
  });
});
