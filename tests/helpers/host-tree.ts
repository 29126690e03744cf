// What the thread tests read off the host: a directory as a MemoryDirectory tree, and the
// host fds this process holds under a directory (none may be left when a program ends).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tree } from '../../src/backends/memory';

/** A host directory as MemoryDirectory.from takes it: files as bytes, directories as objects. */
export function treeFrom(dir: string): Tree {
  const out: Tree = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out[e.name] = e.isDirectory() ? treeFrom(p) : new Uint8Array(fs.readFileSync(p));
  }
  return out;
}

/** Host fds of this process whose target lies under `dir`. */
export function fdsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${name}`);
      if (target.startsWith(dir)) out.push(`${name} -> ${target}`);
    } catch {
      // the fd that readdir itself used
    }
  }
  return out;
}
