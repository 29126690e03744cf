// The worker a threaded program's kernel runs in (refwasi/node, `threads: true`): it holds
// the program's WASI (descriptor table, files, stdio) and serves every thread's calls,
// the main thread's included. It runs no guest code, so no guest thread can block it.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { NodeStdioHandle } from '../backends/node/stdio';
import { NodeStdin } from '../backends/node/stdin';
import { CallbackSink } from '../backends/stdio';
import { WASI, type InputOption, type OutputOption } from '../wasi';
import { MemoryDirectory, type Tree } from '../backends/memory';
import { preopenFrom, type InputConfig, type KernelConfig, type OutputConfig } from './kernel-config';
import type { KernelMessage, KernelReply } from './remote-kernel';

const { config, port } = workerData as { config: KernelConfig; port: MessagePort; control: SharedArrayBuffer };
const send = (m: KernelReply) => port.postMessage(m);

function input(c: InputConfig): InputOption | undefined {
  if (c.kind === 'inherit') return new NodeStdin(0);
  if (c.kind === 'fd') return new NodeStdin(c.fd);
  if (c.kind === 'bytes') return c.bytes;
  return undefined;
}

function output(c: OutputConfig, fd: 1 | 2): OutputOption | undefined {
  if (c.kind === 'inherit') return new NodeStdioHandle(fd);
  if (c.kind === 'fd') return new NodeStdioHandle(c.fd);
  if (c.kind === 'callback') return new CallbackSink((chunk) => send({ output: fd, chunk: chunk.slice() }));
  return undefined;
}

const preopens = config.preopens.map(([path, c]) => [path, preopenFrom(c)] as const);
/** The trees of the MemoryDirectory preopens, by guest path, as the program has them now. */
const trees = (): [string, Tree][] => preopens.flatMap(([path, dir]) => (dir instanceof MemoryDirectory ? [[path, dir.toTree()] as [string, Tree]] : []));

const wasi = new WASI({
  args: config.args,
  env: config.env,
  preopens: Object.fromEntries(preopens),
  stdin: input(config.stdin),
  stdout: output(config.stdout, 1),
  stderr: output(config.stderr, 2),
  renumber: config.renumber,
  maxDescriptors: config.maxDescriptors,
  threads: true,
});
const kernel = wasi.kernel!;
// This worker only serves: a read of host stdin must park its caller, not stop the kernel.
kernel.readStreamsWithoutBlocking();
const control = new Int32Array(workerData.control as SharedArrayBuffer);
kernel.onEnd((end) => {
  // Every descriptor is closed by now: say so to a thread that waits for it.
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  // Read back before the end is told, so the thread that made the WASI has them when it hears.
  send({ trees: trees() });
  send({ end });
  port.close();
});

port.on('message', (m: KernelMessage) => {
  if ('attach' in m) kernel.attach(m.attach);
  else if ('release' in m) kernel.release({ kind: 'refwasi-thread', channel: m.release, modules: kernel.importNames });
  else if ('memory' in m) wasi.setMemory(m.memory);
  else if ('finish' in m) kernel.finish(m.finish);
  else if ('treesRequest' in m) send({ treesReply: m.treesRequest, trees: trees() });
});
parentPort?.unref();
