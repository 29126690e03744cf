// Random descriptor operations from several workers at once, against one descriptor table.
// The kernel runs every call on its own thread, one at a time, so whatever the interleaving,
// each worker's results must be those of SOME sequential order of all the calls. The trace
// option reports every call the kernel runs, in the order it runs them; the test finds which
// worker made each traced call, replays the calls in that order on a pure model of POSIX
// descriptors (and again on a single-threaded WASI), and asks every result to be the model's:
// errno, new fd numbers, bytes read, offsets, status flags. At the end the table, the descriptions
// and the files must be the model's too, and every host handle is closed exactly once.
import fc from 'fast-check';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MemoryDirectory, WASI, Whence, type TraceEvent } from '../src';
import { FILE_NAMES, SCRATCH_BYTES, runOp, type Imports, type Op, type Outcome, type RawCall } from './helpers/fd-ops';
import { FdModel } from './helpers/fd-model';
import { checkNumbering, describeOrder, findOrder } from './helpers/order';

const WORKER = path.join(__dirname, 'helpers', 'property-thread.js');
const MAX_WORKERS = 4;
/** File `c` does not exist at first: opening it without CREAT is ENOENT. */
const INITIAL = { a: 'alpha', b: '' };
const scratchOf = (w: number) => 1024 + w * SCRATCH_BYTES;

// fd 3 is the directory every open goes through: ops may use it, but never close or move it.
// Mostly the numbers opens get (4 to 6), so that calls meet the fds other workers made; now and
// then any up to 10, which are seldom open (EBADF).
const anyFd = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 4, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 10 }) });
const movableFd = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 4, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 10 }) });
const rarely = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const access = fc.constantFrom({ read: true, write: false }, { read: false, write: true }, { read: true, write: true });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('open' as const), name: fc.constantFrom(...FILE_NAMES), create: fc.boolean(), excl: rarely, trunc: rarely, append: fc.boolean(), access })
    .map(({ access: a, ...o }) => ({ ...o, ...a })) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('dup' as const), fd: anyFd }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renumber' as const), from: movableFd, to: movableFd }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('close' as const), fd: movableFd }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), fd: anyFd, data: fc.constant('') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('seek' as const), fd: anyFd, offset: fc.integer({ min: -3, max: 8 }), whence: fc.constantFrom(Whence.SET, Whence.CUR, Whence.END) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tell' as const), fd: anyFd }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), fd: anyFd, n: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fdstat' as const), fd: anyFd }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setflags' as const), fd: anyFd, append: fc.boolean() }) },
);
/** What a worker writes says who wrote it: its letter and the op's index. */
const tagged = (ops: Op[], w: number): Op[] => ops.map((op, i) => (op.op === 'write' ? { ...op, data: `${'PQRS'[w]}${i}` } : op));
const plansArb = fc.array(fc.array(opArb, { maxLength: 16 }), { minLength: 2, maxLength: MAX_WORKERS }).map((plans) => plans.map(tagged));

interface Done { outcome: Outcome; call: RawCall }

/** The workers, started once for every run: each answers one run at a time. */
class Crew {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<Worker, { resolve: (d: Done[]) => void; reject: (e: Error) => void }>();
  /** Why a worker is gone: every later run fails with it rather than wait for that worker. */
  private broken: Error | null = null;

  constructor(readonly memory: WebAssembly.Memory) {
    for (let w = 0; w < MAX_WORKERS; w++) {
      const worker = new Worker(WORKER, { workerData: { memory, base: scratchOf(w) }, execArgv: ['--require', 'ts-node/register/transpile-only'] });
      const fail = (e: Error) => {
        this.broken ??= e;
        this.pending.get(worker)?.reject(e);
        this.pending.delete(worker);
      };
      worker.on('message', (m: { done?: Done[]; error?: string }) => {
        const p = this.pending.get(worker);
        this.pending.delete(worker);
        if (m.error !== undefined) p?.reject(new Error(`worker ${w}: ${m.error}`));
        else p?.resolve(m.done!);
      });
      // A worker that fails to load says so here, not by message: never wait on it blindly.
      worker.on('error', (e) => fail(e));
      worker.on('exit', (code) => fail(new Error(`worker ${w} exited (${code})`)));
      this.workers.push(worker);
    }
  }

  run(w: number, message: object): Promise<Done[]> {
    return new Promise((resolve, reject) => {
      if (this.broken !== null) return reject(this.broken);
      this.pending.set(this.workers[w], { resolve, reject });
      this.workers[w].postMessage(message);
    });
  }

  async stop(): Promise<void> {
    for (const w of this.workers) w.removeAllListeners('exit');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

let crew: Crew;
beforeAll(() => {
  crew = new Crew(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
});
afterAll(() => crew.stop());

/** Runs each worker's ops at once against one program; what each call gave, and the kernel's trace. */
async function runProgram(plans: Op[][], seed: number) {
  const root = MemoryDirectory.from(INITIAL);
  const trace: TraceEvent[] = [];
  const wasi = new WASI({ threads: true, preopens: { '/': root }, stdout: () => {}, stderr: () => {}, trace: (e) => trace.push(e) });
  wasi.setMemory(crew.memory);
  const barrier = new SharedArrayBuffer(4);
  const done = await Promise.all(plans.map((ops, w) => crew.run(w, { handle: wasi.threadHandle(), ops, barrier, parties: plans.length, seed })));
  return { root, trace, wasi, done };
}

/** The same ops in the same order on a single-threaded WASI: the same results, the same files. */
function replaySingleThreaded(plans: Op[][], order: number[], done: Done[][], finalTree: unknown): void {
  const root = MemoryDirectory.from(INITIAL);
  const wasi = new WASI({ preopens: { '/': root }, stdout: () => {}, stderr: () => {} });
  const memory = new WebAssembly.Memory({ initial: 1 });
  wasi.setMemory(memory);
  const imports = wasi.getImportObject() as unknown as Imports;
  const next = plans.map(() => 0);
  order.forEach((w, step) => {
    const i = next[w]++;
    const { outcome } = runOp(imports, memory, scratchOf(w), plans[w][i]);
    if (JSON.stringify(outcome) !== JSON.stringify(done[w][i].outcome)) {
      throw new Error(`single-threaded replay, step ${step}: worker ${w}'s ${JSON.stringify(plans[w][i])} gave ${JSON.stringify(done[w][i].outcome)} threaded, ${JSON.stringify(outcome)} alone`);
    }
  });
  expect(root.toTree()).toEqual(finalTree);
  wasi.close();
}

async function check(plans: Op[][], seed: number): Promise<void> {
  const { root, trace, wasi, done } = await runProgram(plans, seed);
  const order = findOrder(trace, done.map((d) => d.map((c) => ({ ...c.call, errno: c.outcome.errno }))));
  if (order === null) throw new Error(`no interleaving of the workers' calls is the order the kernel ran them in:\n${trace.map((e) => `${e.name}(${e.rawArgs.join(', ')}) = ${e.errno}`).join('\n')}`);

  // Replay in the kernel's order on the model: every result must be the model's.
  const model = new FdModel(INITIAL);
  const next = plans.map(() => 0);
  order.forEach((w, step) => {
    const i = next[w]++;
    const expected = model.apply(plans[w][i]);
    const got = done[w][i].outcome;
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`step ${step}: worker ${w}'s ${JSON.stringify(plans[w][i])} gave ${JSON.stringify(got)}; the model says ${JSON.stringify(expected)}\n${describeOrder(plans, order, done, step)}`);
    }
  });
  checkNumbering(plans, order, done.map((d) => d.map((c) => c.outcome)));

  // The table as the model has it: the same numbers, sharing the same descriptions, with the
  // same offsets and reference counts; one host handle per live file description.
  const fds = wasi.table.fds();
  expect(fds).toEqual([...model.fds.keys()].sort((a, b) => a - b));
  for (const x of fds) {
    const real = wasi.table.get(x).description;
    const mine = model.fds.get(x)!;
    expect({ fd: x, offset: real.offset, refs: real.refCount, flags: real.flags })
      .toEqual({ fd: x, offset: mine.offset, refs: mine.refs, flags: mine.append ? 1 : 0 });
    for (const y of fds) {
      expect({ x, y, shared: real === wasi.table.get(y).description }).toEqual({ x, y, shared: mine === model.fds.get(y) });
    }
  }
  const liveFiles = [...model.liveDescriptions()].filter((d) => d.kind === 'file').length;
  expect(root.openHandles).toBe(liveFiles);
  const tree = root.toTree();
  expect(tree).toEqual(Object.fromEntries([...model.files].map(([n, b]) => [n, new Uint8Array(b)])));

  replaySingleThreaded(plans, order, done, tree);

  // The program ends: every description closed, each exactly once.
  wasi.kernel!.finish({ kind: 'exit', code: 0 });
  expect(wasi.table.fds()).toEqual([]);
  expect(root.openHandles).toBe(0);
  expect(root.doubleCloses).toBe(0);
}

test('random descriptor ops from several workers are one sequential order of them, on one table', async () => {
  await fc.assert(fc.asyncProperty(plansArb, fc.nat(), check), { numRuns: 150 });
}, 300_000);
