import { CHANNEL, threadClient, type ThreadHandle } from './channel';

/** What a thread's worker is started with (workerData, or its first message in a browser). */
export interface ThreadStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Where the module imports its memory from. */
  memoryModule: string;
  memoryName: string;
  handle: ThreadHandle;
  /** 'start': the program's first thread, running `_start`; 'thread': `wasi_thread_start(tid, arg)`. */
  entry: 'start' | 'thread';
  tid: number;
  startArg: number;
}

/** What a thread's worker says when its thread is over. */
export type ThreadOutcome = { done: true } | { exit: number } | { trap: string };

/**
 * A thread's worker: instantiates the module over the shared memory with the channel's
 * imports and runs the thread's entry. Self-contained (it runs as a worker's source text).
 */
function threadWorkerMain(
  layout: typeof CHANNEL,
  client: typeof threadClient,
  start: ThreadStart,
  post: (outcome: ThreadOutcome) => void,
): void {
  const EXIT = Symbol('exit');
  const TRAP = Symbol('trap');
  type Unwind = { [EXIT]?: number; [TRAP]?: string };
  const imports: Record<string, Record<string, unknown>> = client(
    start.handle,
    layout,
    (code) => { throw { [EXIT]: code } as Unwind; },
    (message) => { throw { [TRAP]: message } as Unwind; },
  );
  imports[start.memoryModule] = { ...(imports[start.memoryModule] ?? {}), [start.memoryName]: start.memory };
  let outcome: ThreadOutcome;
  try {
    const instance = new WebAssembly.Instance(start.module, imports as WebAssembly.Imports);
    if (start.entry === 'start') (instance.exports._start as () => void)();
    else (instance.exports.wasi_thread_start as (tid: number, arg: number) => void)(start.tid, start.startArg);
    outcome = { done: true };
  } catch (e) {
    const u = e as Unwind | null;
    if (u !== null && typeof u === 'object' && EXIT in u) outcome = { exit: u[EXIT]! };
    else if (u !== null && typeof u === 'object' && TRAP in u) outcome = { trap: u[TRAP]! };
    else outcome = { trap: String((e as Error)?.message ?? e) };
  }
  post(outcome);
}

/**
 * A worker runs one thread after another: each ThreadStart message is a new instance over
 * the same shared memory, and its outcome is the reply. Starting a worker costs tens of
 * milliseconds; an instance of an already compiled module, a fraction of one.
 */
const RUN = (start: string, post: string) =>
  `(${threadWorkerMain.toString()})(${JSON.stringify(CHANNEL)}, ${threadClient.toString()}, ${start}, ${post})`;

/** The thread worker's source for node:worker_threads (`eval: true`). */
export function nodeThreadWorkerSource(): string {
  return `const { parentPort } = require('node:worker_threads');\n`
    + `parentPort.on('message', (start) => ${RUN('start', '(m) => parentPort.postMessage(m)')});\n`;
}

/** The thread worker's source for a Web Worker (a classic script). */
export function browserThreadWorkerSource(): string {
  return `self.onmessage = (e) => ${RUN('e.data', '(m) => self.postMessage(m)')};\n`;
}
