// Threads as an embedder runs them (emnapi and @napi-rs/wasm-runtime do this for the napi-rs
// wasm32-wasip1-threads packages): the main thread makes `new WASI({ threads: true })` and
// runs the program's first instance itself; the embedder's own `thread-spawn` starts a
// worker that joins with `WASI.fromThreadHandle(handle)`. The main thread blocks in the
// guest (joining its threads with memory.atomic.wait) while the workers' calls go on being
// served: the kernel runs in a worker of its own.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MemoryDirectory, NodeDirectory, WASI, memoryImport } from '../src/node';
import { fdsUnder, treeFrom } from './helpers/host-tree';

const SUITE = path.join(__dirname, '..', 'fixtures', 'threads');
const WORKER = path.join(__dirname, 'helpers', 'embedder-thread.js');

interface Run { code: number; stdout: string; stderr: string; workerErrors: string[] }

async function runEmbedded(name: string, dir: MemoryDirectory | NodeDirectory, onWasi: (wasi: WASI) => void = () => {}): Promise<Run> {
  const bytes = fs.readFileSync(path.join(SUITE, `${name}.wasm`));
  const module = new WebAssembly.Module(bytes);
  const limits = memoryImport(bytes)!;
  const memory = new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: true });
  let stdout = '';
  let stderr = '';
  const wasi = new WASI({
    threads: true,
    args: [name],
    preopens: { 'fs-tests.dir': dir },
    stdout: (c) => { stdout += Buffer.from(c).toString(); },
    stderr: (c) => { stderr += Buffer.from(c).toString(); },
  });
  onWasi(wasi);
  const workers: Worker[] = [];
  const workerErrors: string[] = [];
  let nextTid = 1;
  const imports = {
    ...wasi.getImportObject(),
    env: { memory },
    wasi: {
      'thread-spawn': (arg: number) => {
        const tid = nextTid++;
        const w = new Worker(WORKER, {
          workerData: { handle: wasi.threadHandle(), module, memory, tid, arg },
          execArgv: ['--require', 'ts-node/register/transpile-only'],
        });
        w.on('message', (m: { error?: string }) => { if (m.error) workerErrors.push(m.error); });
        workers.push(w);
        return tid;
      },
    },
  } as WebAssembly.Imports;
  const instance = new WebAssembly.Instance(module, imports);
  wasi.setMemory(memory); // the module imports its memory rather than exporting it
  const code = wasi.start(instance);
  await wasi.ended;
  await Promise.all(workers.map((w) => w.terminate()));
  return { code, stdout, stderr, workerErrors };
}

const spec = (name: string) => JSON.parse(fs.readFileSync(path.join(SUITE, `${name}.json`), 'utf8'));
const CASES = ['thread_writes_file', 'open_read_across', 'close_while_dup_held', 'concurrent_opens', 'shared_offset', 'append_two_threads', 'pipe_across_threads', 'renumber_stdout'];

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-embed-')));
  fs.cpSync(path.join(SUITE, 'fs-tests.dir'), tmp, { recursive: true });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(CASES)('%s, its first instance on the main thread', (name) => {
  test('over NodeDirectory: the spec\'s exit code and output, and no host fd left open', async () => {
    const run = await runEmbedded(name, new NodeDirectory(tmp));
    expect(run.workerErrors).toEqual([]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: spec(name).exit_code ?? 0, stdout: spec(name).stdout ?? '' });
    expect(fdsUnder(tmp)).toEqual([]);
  }, 60_000);

  test('over MemoryDirectory: the spec\'s exit code and output', async () => {
    const run = await runEmbedded(name, MemoryDirectory.from(treeFrom(path.join(SUITE, 'fs-tests.dir'))));
    expect(run.workerErrors).toEqual([]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: spec(name).exit_code ?? 0, stdout: spec(name).stdout ?? '' });
  }, 60_000);
});

test('threadHandle() on a WASI made without threads is a TypeError', () => {
  expect(() => new WASI().threadHandle()).toThrow(TypeError);
  expect(() => new WASI().threadHandle()).toThrow(/threads: true/);
});

test('fromThreadHandle refuses what is not a handle', () => {
  expect(() => WASI.fromThreadHandle({} as never)).toThrow(TypeError);
});

test('a threaded WASI refuses an ordinary memory, and an instance without one', () => {
  const wasi = new WASI({ threads: true });
  expect(() => wasi.setMemory(new WebAssembly.Memory({ initial: 1 }))).toThrow(/shared/);
  expect(() => wasi.start({ exports: { _start: () => {} } } as unknown as WebAssembly.Instance)).toThrow(/setMemory/);
  wasi.close();
});

test('threads: true refuses what cannot be shared with threads', () => {
  expect(() => new WASI({ threads: true, stdin: () => null })).toThrow(/cannot be shared/);
});

describe('MemoryDirectory preopens under threads: true', () => {
  test('the directory given holds what the program left when it ends', async () => {
    const dir = MemoryDirectory.from(treeFrom(path.join(SUITE, 'fs-tests.dir')));
    const run = await runEmbedded('thread_writes_file', dir);
    expect(run.code).toBe(0);
    expect(new TextDecoder().decode(dir.toTree()['made-by-thread.txt'] as Uint8Array)).toBe('written by a thread\n');
  }, 60_000);

  test('preopenTrees() reads the kernel\'s tree while the program runs; the object given gets it at the end', async () => {
    const given = MemoryDirectory.from({ 'a.txt': 'a' });
    const wasi = new WASI({ threads: true, preopens: { '/data': given } });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    wasi.setMemory(memory);
    const name = new TextEncoder().encode('sub');
    new Uint8Array(memory.buffer).set(name, 64);
    const p1 = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: number[]) => number>;
    expect(p1.path_create_directory(3, 64, name.length)).toBe(0);
    expect(p1.path_create_directory(3, 64, name.length)).toBe(20); // EEXIST: the kernel's tree has it
    expect(Object.keys((await wasi.preopenTrees())['/data']).sort()).toEqual(['a.txt', 'sub']);
    expect(Object.keys(given.toTree())).toEqual(['a.txt']); // a copy until the end
    wasi.close();
    await wasi.ended;
    expect(Object.keys(given.toTree()).sort()).toEqual(['a.txt', 'sub']);
    expect(Object.keys((await wasi.preopenTrees())['/data']).sort()).toEqual(['a.txt', 'sub']);
  }, 30_000);

  test('preopenTrees() without threads is a TypeError', async () => {
    await expect(new WASI().preopenTrees()).rejects.toThrow(TypeError);
  });
});
