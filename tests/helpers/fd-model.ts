// A small model of POSIX descriptors, written from the spec and not from refwasi: a table of
// fd numbers (new ones the lowest free), open file descriptions shared by dups (offset,
// APPEND, access mode, a count of references; closed once, by the last), and files as bytes.
// It knows just what tests/helpers/fd-ops.ts does: the files of one directory at fd 3.
import { Errno, Filetype, Whence } from '../../src/abi/constants';
import type { FileName, Op, Outcome } from './fd-ops';

export interface ModelDescription {
  readonly id: number;
  readonly kind: 'stdio' | 'dir' | 'file';
  readonly file?: FileName;
  /** A status flag: fd_fdstat_set_flags on any dup changes it for all. */
  append: boolean;
  readonly readable: boolean;
  readonly writable: boolean;
  offset: number;
  refs: number;
}

export class FdModel {
  readonly files = new Map<FileName, number[]>();
  readonly fds = new Map<number, ModelDescription>();
  private nextId = 0;

  constructor(initial: Partial<Record<FileName, string>>) {
    for (const [name, text] of Object.entries(initial)) this.files.set(name as FileName, [...Buffer.from(text, 'latin1')]);
    for (let i = 0; i < 3; i++) this.install(this.describe('stdio'));
    this.install(this.describe('dir'));
  }

  /** Every description still referenced by some fd. */
  liveDescriptions(): Set<ModelDescription> {
    return new Set(this.fds.values());
  }

  apply(op: Op): Outcome {
    switch (op.op) {
      case 'open': {
        const exists = this.files.has(op.name);
        if (!exists && !op.create) return { errno: Errno.NOENT };
        if (exists && op.create && op.excl) return { errno: Errno.EXIST };
        if (!exists || op.trunc) this.files.set(op.name, []);
        const d = this.describe('file', op.name, op.append, op.read, op.write);
        return { errno: 0, value: this.install(d) };
      }
      case 'dup': {
        const d = this.fds.get(op.fd);
        if (d === undefined) return { errno: Errno.BADF };
        return { errno: 0, value: this.install(d) };
      }
      case 'renumber': {
        // Strict, as wasmtime: both numbers must be open. The old `to` is closed, `from` moves.
        const d = this.fds.get(op.from);
        if (d === undefined) return { errno: Errno.BADF };
        if (op.from === op.to) return { errno: 0 };
        const old = this.fds.get(op.to);
        if (old === undefined) return { errno: Errno.BADF };
        this.fds.delete(op.from);
        this.fds.set(op.to, d);
        this.release(old);
        return { errno: 0 };
      }
      case 'close': {
        const d = this.fds.get(op.fd);
        if (d === undefined) return { errno: Errno.BADF };
        this.fds.delete(op.fd);
        this.release(d);
        return { errno: 0 };
      }
      case 'write': {
        const d = this.fds.get(op.fd);
        if (d === undefined || !d.writable) return { errno: Errno.BADF };
        const bytes = this.contents(d);
        const data = [...Buffer.from(op.data, 'latin1')];
        const at = d.append ? bytes.length : d.offset;
        while (bytes.length < at) bytes.push(0);
        bytes.splice(at, data.length, ...data);
        d.offset = at + data.length;
        return { errno: 0, value: data.length };
      }
      case 'read': {
        const d = this.fds.get(op.fd);
        if (d === undefined || !d.readable) return { errno: Errno.BADF };
        const got = this.contents(d).slice(d.offset, d.offset + op.n);
        d.offset += got.length;
        return { errno: 0, value: got.length, bytes: Buffer.from(got).toString('latin1') };
      }
      case 'seek':
      case 'tell': {
        const d = this.fds.get(op.fd);
        // A directory has no offset: EBADF (as wasmtime).
        if (d === undefined || d.kind !== 'file') return { errno: Errno.BADF };
        if (op.op === 'tell') return { errno: 0, value: d.offset };
        const from = op.whence === Whence.SET ? 0 : op.whence === Whence.CUR ? d.offset : this.contents(d).length;
        if (from + op.offset < 0) return { errno: Errno.INVAL };
        d.offset = from + op.offset;
        return { errno: 0, value: d.offset };
      }
      case 'fdstat': {
        const d = this.fds.get(op.fd);
        if (d === undefined) return { errno: Errno.BADF };
        const filetype = d.kind === 'dir' ? Filetype.DIRECTORY : Filetype.REGULAR_FILE;
        return { errno: 0, filetype, flags: d.append ? 1 : 0 };
      }
      case 'setflags': {
        const d = this.fds.get(op.fd);
        if (d === undefined) return { errno: Errno.BADF };
        d.append = op.append;
        return { errno: 0 };
      }
    }
  }

  private describe(kind: ModelDescription['kind'], file?: FileName, append = false, readable = false, writable = false): ModelDescription {
    return { id: this.nextId++, kind, file, append, readable, writable, offset: 0, refs: 0 };
  }

  /** A new fd for `d`: the lowest free number, which nothing else holds. */
  private install(d: ModelDescription): number {
    let fd = 0;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, d);
    d.refs++;
    return fd;
  }

  private release(d: ModelDescription): void {
    d.refs--;
  }

  private contents(d: ModelDescription): number[] {
    if (d.kind !== 'file') throw new Error(`the model has no contents for a ${d.kind} description`);
    return this.files.get(d.file!)!;
  }
}
