import { MemoryDir, MemorySymlink } from './directory';
import { MemoryFile } from './file';
import { MemoryFs, type MemoryFsOptions } from './fs';

/** A directory tree as plain data: strings or bytes are files, objects are directories. */
export interface Tree {
  [name: string]: string | Uint8Array | Tree | { symlink: string };
}

const isSymlinkSpec = (v: unknown): v is { symlink: string } =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array) &&
  Object.keys(v).length === 1 && typeof (v as { symlink?: unknown }).symlink === 'string';

/** The root of an in-memory filesystem, to give as a preopen. */
export class MemoryDirectory extends MemoryDir {
  constructor(options: MemoryFsOptions = {}) {
    super(new MemoryFs(options));
  }

  /** Builds a filesystem from a plain-object tree. `{ symlink: 'target' }` makes a symlink. */
  static from(tree: Tree, options: MemoryFsOptions = {}): MemoryDirectory {
    const root = new MemoryDirectory(options);
    fill(root, tree);
    return root;
  }

  /** The tree read back in the same plain-object form, files as Uint8Array. */
  toTree(): Tree {
    return readBack(this);
  }

  /**
   * Makes this directory hold exactly `tree`, as a program left it: what a kernel in another
   * thread had (see docs/threads.md). Open handles on the old entries keep their files.
   */
  replaceTree(tree: Tree): void {
    empty(this);
    fill(this, tree);
  }

  /** Handles open on this filesystem's files right now (0 once a run has ended). */
  get openHandles(): number {
    return this.fs.openHandles;
  }

  /** Handle closes that came after the handle was already closed (always 0 unless refwasi has a bug). */
  get doubleCloses(): number {
    return this.fs.doubleCloses;
  }
}

function fill(dir: MemoryDir, tree: Tree): void {
  for (const [name, value] of Object.entries(tree)) {
    if (name.length === 0 || name === '.' || name === '..' || name.includes('/')) {
      throw new TypeError(`bad file name in tree: ${JSON.stringify(name)}`);
    }
    if (typeof value === 'string' || value instanceof Uint8Array) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      dir.add(name, new MemoryFile(dir.fs, bytes));
    } else if (isSymlinkSpec(value)) {
      dir.add(name, new MemorySymlink(dir.fs, value.symlink));
    } else {
      dir.mkdir(name);
      fill(dir.entries.get(name) as MemoryDir, value as Tree);
    }
  }
}

function empty(dir: MemoryDir): void {
  for (const [name, node] of [...dir.entries]) {
    if (node instanceof MemoryDir) {
      empty(node);
      dir.rmdir(name);
    } else {
      dir.unlink(name);
    }
  }
}

function readBack(dir: MemoryDir): Tree {
  const out: Tree = {};
  for (const [name, node] of dir.entries) {
    if (node instanceof MemoryFile) out[name] = node.contents();
    else if (node instanceof MemorySymlink) out[name] = { symlink: node.target };
    else out[name] = readBack(node);
  }
  return out;
}

export { MemoryDir, MemoryFile, MemorySymlink, MemoryFs };
export type { MemoryFsOptions };
