// Host stdin in a threaded program: a thread waiting on it must not stop the other threads'
// calls (the kernel serves them all). fixtures/threads/stdin_reader_thread.wasm reads stdin
// on a thread while its main thread makes 400 file and clock calls and prints a line; each
// test sees that line before it writes a byte of stdin. Children run the program the two
// ways Node runs threads (tests/helpers/threads-stdin-child.ts) and set their exit code
// without process.exit, so a child ends only if no read of stdin keeps it alive.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { buildSync } from 'esbuild';
import { closeSync, constants, fstatSync, mkdtempSync, open as fsOpen, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clockid, Errno, Eventrwflags } from '../src/abi/constants';
import { NodeStdin } from '../src/node';
import { Raw } from './helpers/raw-preview1';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..');
const WASM = join(ROOT, 'fixtures', 'threads', 'stdin_reader_thread.wasm');
const CALLS_DONE = 'ok: 200 file and clock calls while another thread reads stdin\n';
let bundleDir: string;

beforeAll(() => {
  bundleDir = mkdtempSync(join(tmpdir(), 'refwasi-threads-stdin-'));
  // The child, and beside it the kernel worker it starts for threads: true and the thread worker.
  const entries = [
    [join(__dirname, 'helpers', 'threads-stdin-child.ts'), 'threads-stdin-child.js'],
    [join(ROOT, 'src', 'threads', 'kernel-worker.ts'), 'kernel-worker.js'],
    [join(__dirname, 'helpers', 'embedder-thread.js'), 'embedder-thread.js'],
  ];
  for (const [entry, out] of entries) {
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: join(bundleDir, out), logLevel: 'error' });
  }
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

type Mode = 'run' | 'embed';
/** The child's stdin: Node's 'pipe' (a socket pair), a FIFO as fd 0, or a FIFO as fd 3 (fd 0 closed). */
type Feed = 'socket' | 'fifo' | 'fifo-fd3';

interface Child {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout has `text`; rejects after `ms`. */
  waitFor: (text: string, ms: number) => Promise<void>;
  /** The exit status; rejects (and kills it) if the child is still running after `ms`. */
  exit: (ms: number) => Promise<number>;
  write: (bytes: Uint8Array) => void;
  end: () => void;
}

/** Every child started, killed after each test if still running (a failed test must not leave one). */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

let fifos = 0;
/** Both ends of a new FIFO, opened blocking (each open waits for the other, so both are asked at once). */
async function fifo(): Promise<{ readFd: number; writeFd: number }> {
  const file = join(bundleDir, `fifo${fifos++}`);
  execFileSync('mkfifo', [file]);
  const open = (flags: string) => new Promise<number>((resolve, reject) => fsOpen(file, flags, (e, fd) => (e ? reject(e) : resolve(fd))));
  const [readFd, writeFd] = await Promise.all([open('r'), open('w')]);
  return { readFd, writeFd };
}

async function start(mode: Mode, args: string[], feed: Feed): Promise<Child> {
  const argv = [join(bundleDir, 'threads-stdin-child.js'), mode, WASM, ...args];
  let child: ChildProcess;
  let write: (bytes: Uint8Array) => void;
  let end: () => void;
  if (feed === 'socket') {
    child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    write = (bytes) => child.stdin!.write(bytes);
    end = () => child.stdin!.end();
  } else {
    const { readFd, writeFd } = await fifo();
    const stdio = feed === 'fifo' ? [readFd, 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', readFd];
    child = spawn(process.execPath, argv, { stdio: stdio as never, env: feed === 'fifo-fd3' ? { ...process.env, STDIN_FD: '3' } : process.env });
    closeSync(readFd); // the child's copy is the only reader, so closing writeFd is its end
    let open = true;
    write = (bytes) => { for (let at = 0; at < bytes.length;) at += writeSync(writeFd, bytes, at); };
    end = () => { if (open) closeSync(writeFd); open = false; };
    child.on('close', end);
  }
  children.push(child);
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('latin1');
    for (const w of waiters.splice(0)) (out.includes(w.text) ? w.resolve() : waiters.push(w));
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text, ms) => (out.includes(text) ? Promise.resolve() : new Promise((resolve, reject) => {
      waiters.push({ text, resolve });
      setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} within ${ms} ms; stdout: ${out}; stderr: ${err}`)), ms).unref();
    })),
    exit: (ms) => Promise.race([
      closed,
      new Promise<number>((_, reject) => setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the child did not end within ${ms} ms; stdout: ${out}; stderr: ${err}`));
      }, ms).unref()),
    ]),
    write: (bytes) => write(bytes),
    end: () => end(),
  };
}

/** 100 kB of every byte value, in an order that a lost, doubled or moved chunk would show. */
function bulk(): Buffer {
  const b = Buffer.alloc(100_000);
  for (let i = 0, x = 1; i < b.length; i++) b[i] = x = (x * 1103515245 + 12345) >>> 16 & 0xff;
  return b;
}

const expected = (bytes: Buffer) => `${CALLS_DONE}stdin: ${bytes.length} bytes, then the end again\n${bytes.toString('latin1')}`;

describe.each<[string, Mode, string[], Feed]>([
  ['runThreads, stdin a socket, fd_read waiting', 'run', [], 'socket'],
  ['runThreads, stdin a pipe, poll_oneoff waiting', 'run', ['poll'], 'fifo'],
  ['threads: true (the kernel in its worker), stdin inherited, a pipe', 'embed', [], 'fifo'],
  ['threads: true, stdin host fd 3 (a pipe), poll_oneoff waiting', 'embed', ['poll'], 'fifo-fd3'],
])('%s', (_title, mode, args, feed) => {
  test('the other thread\'s calls go on while it waits; then it gets exactly the bytes written, and the end', async () => {
    const c = await start(mode, args, feed);
    await c.waitFor(CALLS_DONE, 20_000);
    // Nothing written yet: the reader is still waiting, and the main thread's calls were served.
    expect(c.stdout()).toBe(CALLS_DONE);
    const data = Buffer.concat([Buffer.from('hello\n'), bulk(), Buffer.from('\0tail')]);
    c.write(data.subarray(0, 6));
    await new Promise((r) => setTimeout(r, 50));
    c.write(data.subarray(6));
    c.end();
    expect(await c.exit(30_000)).toBe(0);
    expect(c.stdout()).toBe(expected(data));
  });

  test('the end of stdin while the reader waits: 0 bytes, then the end again', async () => {
    const c = await start(mode, args, feed);
    await c.waitFor(CALLS_DONE, 20_000);
    c.end();
    expect(await c.exit(30_000)).toBe(0);
    expect(c.stdout()).toBe(expected(Buffer.alloc(0)));
  });

  test('proc_exit on another thread while the reader waits: the process ends at once, stdin still open', async () => {
    const c = await start(mode, [...args, 'exit'], feed);
    await c.waitFor(CALLS_DONE, 20_000);
    expect(await c.exit(10_000)).toBe(5);
    expect(c.stdout()).toBe(CALLS_DONE);
    c.end();
  });
});

describe('NodeStdin reading without blocking (what the kernel asks of it)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'refwasi-fifo-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('AGAIN while empty, a wake when input comes, short reads keep the rest, the end after the last byte', async () => {
    const fifo = join(dir, 'f');
    execFileSync('mkfifo', [fifo]);
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, 'w');
    let wakes = 0;
    let woken: () => void = () => {};
    const stdin = new NodeStdin(readFd);
    stdin.readWithoutBlocking(() => { wakes++; woken(); });
    const nextWake = () => new Promise<void>((r) => (woken = r));
    const raw = new Raw({ stdin });
    try {
      expect(raw.read(0).errno).toBe(Errno.AGAIN);
      expect(raw.poll([{ userdata: 1, read: 0 }, { userdata: 2, clock: { id: Clockid.MONOTONIC, timeout: 0n } }]).events.map((e) => e.userdata)).toEqual([2n]);
      let woke = nextWake();
      writeSync(writeFd, 'abcdefghij');
      await woke;
      expect(raw.poll([{ userdata: 1, read: 0 }]).events).toEqual([{ userdata: 1n, error: 0, type: 1, nbytes: 10n, flags: 0 }]);
      expect(raw.read(0, 4)).toEqual({ errno: 0, data: 'abcd' });
      expect(raw.read(0, 100)).toEqual({ errno: 0, data: 'efghij' });
      expect(raw.read(0).errno).toBe(Errno.AGAIN);
      woke = nextWake();
      closeSync(writeFd);
      await woke;
      expect(raw.read(0)).toEqual({ errno: 0, data: '' });
      expect(raw.read(0)).toEqual({ errno: 0, data: '' });
      expect(raw.poll([{ userdata: 1, read: 0 }]).events[0].flags).toBe(Eventrwflags.FD_READWRITE_HANGUP);
      expect(wakes).toBe(2);
      // Closing the guest's fd 0 leaves the host's fd open (the reader had one of its own).
      expect(raw.p1.fd_close(0)).toBe(0);
      expect(fstatSync(readFd).isFIFO()).toBe(true);
    } finally {
      closeSync(readFd);
    }
  });

  test('a regular file is read as before: its reads never wait', () => {
    const fd = openSync(__filename, 'r');
    try {
      const stdin = new NodeStdin(fd);
      stdin.readWithoutBlocking(() => {});
      const raw = new Raw({ stdin });
      expect(raw.read(0, 2)).toEqual({ errno: 0, data: '//' });
    } finally {
      closeSync(fd);
    }
  });
});
