import { MemoryDirectory, type Tree } from '../backends/memory';
import { NodeDirectory } from '../backends/node/directory';

/**
 * What a kernel in its own worker is made from: the WASI options, in a form that crosses
 * threads (structured clone). Directories travel as what they are made of (a host path,
 * the tree of a MemoryDirectory); output callbacks stay with the thread that gave them,
 * and the kernel sends them each chunk (`{ output }` messages).
 */
export interface KernelConfig {
  args: string[];
  env: Record<string, string>;
  preopens: [string, PreopenConfig][];
  stdin: InputConfig;
  stdout: OutputConfig;
  stderr: OutputConfig;
  renumber?: 'strict' | 'permissive';
  maxDescriptors?: number;
}

export type PreopenConfig = { kind: 'node'; host: string; readOnly: boolean } | { kind: 'memory'; tree: Tree };
export type InputConfig = { kind: 'default' } | { kind: 'inherit' } | { kind: 'fd'; fd: number } | { kind: 'bytes'; bytes: Uint8Array };
export type OutputConfig = { kind: 'default' } | { kind: 'inherit' } | { kind: 'fd'; fd: number } | { kind: 'callback' };

const refuse = (what: string): never => {
  throw new TypeError(`${what} cannot be shared with a program's threads (threads: true): see docs/threads.md`);
};

export function preopenConfig(path: string, dir: unknown): PreopenConfig {
  if (typeof dir === 'string') return { kind: 'node', host: dir, readOnly: false };
  if (dir instanceof NodeDirectory) return { kind: 'node', host: dir.hostPath, readOnly: dir.fs.readOnly };
  if (dir instanceof MemoryDirectory) return { kind: 'memory', tree: dir.toTree() };
  return refuse(`preopen ${path} (only NodeDirectory, MemoryDirectory or a host path)`);
}

export function inputConfig(v: unknown): InputConfig {
  if (v === undefined) return { kind: 'default' };
  if (v === 'inherit') return { kind: 'inherit' };
  if (typeof v === 'number') return { kind: 'fd', fd: v };
  if (typeof v === 'string') return { kind: 'bytes', bytes: new TextEncoder().encode(v) };
  if (v instanceof Uint8Array) return { kind: 'bytes', bytes: v.slice() };
  return refuse('this stdin (only bytes, a string, a host fd or inherit)');
}

export function outputConfig(v: unknown, name: string): OutputConfig {
  if (v === undefined) return { kind: 'default' };
  if (v === 'inherit') return { kind: 'inherit' };
  if (typeof v === 'number') return { kind: 'fd', fd: v };
  if (typeof v === 'function') return { kind: 'callback' };
  return refuse(`this ${name} (only a function, a host fd or inherit)`);
}

export function preopenFrom(c: PreopenConfig): NodeDirectory | MemoryDirectory {
  return c.kind === 'node' ? new NodeDirectory(c.host, { readOnly: c.readOnly }) : MemoryDirectory.from(c.tree);
}
