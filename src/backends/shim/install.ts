import { FDFLAGS_ALL, Filetype } from '../../abi/constants';
import { OpenDirectory } from '../directory-handle';
import type { Handle } from '../types';
import { OpenFileDescription } from '../../descriptors/description';
import { Descriptor } from '../../descriptors/table';
import { rightsFor } from '../../syscalls/context';
import { ShimDirectory, ShimDirectoryHandle, ShimFileHandle, shimFs, ShimStream } from './backend';
import { isShimDirectory, isShimFd, isShimInode, type ShimDirectoryInode, type ShimFd } from './types';

export interface ShimDescriptorOptions {
  /** The guest path if this is a preopened directory (fd_prestat_get); null for none. */
  preopenPath?: string | null;
  /** The access the description allows (default both; stdio narrows it). */
  readable?: boolean;
  writable?: boolean;
}

/** The guest path a shim Fd announces through its own `fd_prestat_get`, or null. */
export function shimPreopenName(fd: ShimFd): string | null {
  if (typeof fd.prestat_name === 'string') return fd.prestat_name;
  const r = fd.fd_prestat_get();
  const name = r.ret === 0 ? r.prestat?.inner?.pr_name : undefined;
  return name instanceof Uint8Array ? new TextDecoder().decode(name) : null;
}

/** A shim `Directory` inode (or a directory Fd's inode) as a refwasi directory. */
export function shimDirectory(dir: ShimDirectoryInode): ShimDirectory {
  return shimFs.wrap(dir) as ShimDirectory;
}

/**
 * A refwasi descriptor over one browser_wasi_shim object: it becomes the host handle of one
 * open file description, which every dup then shares; its `fd_close` is called once, when
 * the last descriptor goes.
 *
 * - a directory Fd (`OpenDirectory`, `PreopenDirectory`, subclasses): its `dir` inode is the
 *   directory (the shim backend), its `fd_close` runs at the end;
 * - a shim `Directory` inode: that directory;
 * - an Fd whose fdstat says regular file (`OpenFile`, ...): a file at refwasi's offsets,
 *   starting where the Fd's own position was (`fd_tell`);
 * - any other Fd (`ConsoleStdout`, user subclasses): a stream over its `fd_read`/`fd_write`.
 */
export function shimDescriptor(obj: ShimFd | ShimDirectoryInode, options: ShimDescriptorOptions = {}): Descriptor {
  let handle: Handle;
  let filetype: Filetype;
  let flags = 0;
  let offset = 0;
  let readable = options.readable ?? true;
  let writable = options.writable ?? true;
  if (isShimDirectory(obj)) {
    handle = new OpenDirectory(shimDirectory(obj));
    filetype = Filetype.DIRECTORY;
  } else if (isShimFd(obj)) {
    if (isShimDirectory(obj.dir)) {
      handle = new ShimDirectoryHandle(shimFs, obj, shimDirectory(obj.dir));
      filetype = Filetype.DIRECTORY;
    } else {
      const st = obj.fd_fdstat_get();
      filetype = st.ret === 0 && st.fdstat !== null ? (st.fdstat.fs_filetype as Filetype) : Filetype.CHARACTER_DEVICE;
      if (st.ret === 0 && st.fdstat !== null) flags = st.fdstat.fs_flags & FDFLAGS_ALL;
      if (filetype === Filetype.DIRECTORY) {
        throw new TypeError('refwasi adapts a browser_wasi_shim directory through its Directory inode (fd.dir); this Fd has none');
      }
      if (filetype === Filetype.REGULAR_FILE) {
        handle = new ShimFileHandle(shimFs, obj, isShimInode(obj.file) ? obj.file : null);
        const tell = obj.fd_tell();
        if (tell.ret === 0) offset = Number(tell.offset);
      } else {
        handle = new ShimStream(shimFs, obj, filetype);
      }
    }
  } else {
    throw new TypeError('not a browser_wasi_shim Fd or Directory');
  }
  const preopen = options.preopenPath ?? null;
  if (preopen !== null && handle.kind !== 'directory') throw new TypeError(`preopen ${preopen} is not a directory`);
  if (handle.kind === 'directory') readable = writable = false;
  const desc = new OpenFileDescription(handle, filetype, flags, readable, writable);
  desc.offset = offset;
  const rights = rightsFor(handle.kind, readable, writable);
  return new Descriptor(desc, rights.base, rights.inheriting, 0, preopen);
}
