import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CHANNEL, type ThreadHandle } from './channel';
import type { KernelConfig } from './kernel-config';
import type { Tree } from '../backends/memory';
import type { ProgramEnd } from './kernel';

/** What a thread says to a kernel in its own worker. */
export type KernelMessage =
  | { attach: SharedArrayBuffer }
  | { release: SharedArrayBuffer }
  | { memory: WebAssembly.Memory }
  | { finish: ProgramEnd }
  | { treesRequest: number };
/**
 * What that kernel says back: output for a callback of this thread's, the trees of its
 * MemoryDirectory preopens (asked for, or at the end), and the program's end.
 */
export type KernelReply =
  | { output: 1 | 2; chunk: Uint8Array }
  | { treesReply: number; trees: [string, Tree][] }
  | { trees: [string, Tree][] }
  | { end: ProgramEnd };

declare const __refwasi_esm_url: string | undefined;

/**
 * The kernel worker's script: dist/cjs/threads/kernel-worker.js beside this file in the
 * CommonJS build; from the ESM build (whose chunks esbuild gives `__refwasi_esm_url`), the
 * same CommonJS file; from TypeScript sources (tests), the .ts file through ts-node.
 */
function kernelScript(): string {
  if (typeof __filename === 'string' && __filename.endsWith('.ts')) return path.join(__dirname, 'kernel-worker.ts');
  if (typeof __filename === 'string') return path.join(__dirname, 'kernel-worker.js');
  return decodeURIComponent(new URL('../cjs/threads/kernel-worker.js', __refwasi_esm_url).pathname);
}

/**
 * Starts the kernel, or, if it cannot even load, a stand-in that answers every thread's
 * first call with a trap saying why: a thread waiting on a kernel that died would wait forever.
 */
function bootstrap(file: string): string {
  const tsNode = file.endsWith('.ts') ? "require('ts-node/register/transpile-only');\n" : '';
  return `${tsNode}try {
  require(${JSON.stringify(file)});
} catch (error) {
  const { workerData } = require('node:worker_threads');
  const L = ${JSON.stringify(CHANNEL)};
  const text = new TextEncoder().encode('refwasi kernel failed to start: ' + (error && error.message || error));
  workerData.port.on('message', (m) => {
    if (!m.attach) return;
    const i32 = new Int32Array(m.attach);
    new Uint8Array(m.attach, L.TEXT_AT, L.BYTES - L.TEXT_AT).set(text.subarray(0, L.BYTES - L.TEXT_AT));
    i32[L.STATUS] = L.TRAP;
    i32[L.RESULT] = Math.min(text.length, L.BYTES - L.TEXT_AT);
    Atomics.store(i32, L.CLOSED, 1);
    Atomics.store(i32, L.STATE, L.DONE);
    Atomics.notify(i32, L.STATE);
  });
  const control = new Int32Array(workerData.control);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
}
`;
}

/**
 * A threaded program's kernel in a worker of its own (refwasi/node, `threads: true`): the
 * thread that made the WASI talks to it like every other thread, through a channel, so
 * that a guest thread blocked anywhere (the main one included, in `memory.atomic.wait`)
 * never keeps the others' calls from being served.
 */
export class RemoteKernel {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private ended: ProgramEnd | null = null;
  private readonly endListeners: ((end: ProgramEnd) => void)[] = [];

  constructor(
    config: KernelConfig,
    private readonly modules: Record<string, string[]>,
    outputs: { 1?: (chunk: Uint8Array) => void; 2?: (chunk: Uint8Array) => void },
    /** The MemoryDirectory preopens as the program left them, told once before the end. */
    onTrees: (trees: [string, Tree][]) => void = () => {},
  ) {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(bootstrap(kernelScript()), {
      eval: true,
      workerData: { config, port: port2, control: this.control.buffer },
      transferList: [port2],
    });
    this.port = port1;
    port1.on('message', (m: KernelReply) => {
      if ('output' in m) {
        outputs[m.output]?.(m.chunk);
        return;
      }
      if ('treesReply' in m) {
        this.treeRequests.get(m.treesReply)?.(m.trees);
        this.treeRequests.delete(m.treesReply);
        if (this.treeRequests.size === 0) port1.unref();
        return;
      }
      if ('trees' in m) {
        onTrees(m.trees);
        return;
      }
      this.ended = m.end;
      for (const l of this.endListeners.splice(0)) l(m.end);
      void this.worker.terminate();
    });
    this.worker.on('error', (e) => {
      const end: ProgramEnd = { kind: 'trap', message: `refwasi kernel: ${String(e?.message ?? e)}` };
      this.ended ??= end;
      for (const l of this.endListeners.splice(0)) l(end);
    });
    // The kernel keeps nothing alive: the program's own threads and callbacks do.
    this.worker.unref();
    port1.unref();
  }

  /** A new channel for one thread; the kernel serves it as soon as it hears of it. */
  handle(): ThreadHandle {
    const channel = new SharedArrayBuffer(CHANNEL.BYTES);
    this.post({ attach: channel });
    return { kind: 'refwasi-thread', channel, modules: this.modules };
  }

  private readonly treeRequests = new Map<number, (trees: [string, Tree][]) => void>();
  private nextRequest = 1;

  /** The kernel's MemoryDirectory preopens as they are now (null once the program has ended). */
  trees(): Promise<[string, Tree][] | null> {
    if (this.ended !== null) return Promise.resolve(null);
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.treeRequests.set(id, resolve);
      // A question keeps the process alive until its answer, unlike the kernel itself.
      this.port.ref();
      this.onEnd(() => {
        if (this.treeRequests.delete(id)) resolve(null);
      });
      this.post({ treesRequest: id });
    });
  }

  release(handle: ThreadHandle): void {
    this.post({ release: handle.channel });
  }

  setMemory(memory: WebAssembly.Memory): void {
    this.post({ memory });
  }

  onEnd(listener: (end: ProgramEnd) => void): void {
    if (this.ended !== null) listener(this.ended);
    else this.endListeners.push(listener);
  }

  /**
   * Ends the program and waits (at most `timeoutMs`) until the kernel has closed every
   * descriptor: a Node thread may block, so `start()` returns with nothing left open.
   */
  finish(end: ProgramEnd, timeoutMs = 10_000): void {
    this.post({ finish: end });
    Atomics.wait(this.control, 0, 0, timeoutMs);
  }

  private post(m: KernelMessage): void {
    if (this.ended !== null || Atomics.load(this.control, 0) === 1) return;
    this.port.postMessage(m);
  }
}
