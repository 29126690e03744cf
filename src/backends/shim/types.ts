/**
 * The shapes of @bjorn3/browser_wasi_shim's objects, as refwasi reads them. refwasi never
 * imports that package: it recognizes its objects by these fields and methods, so anything
 * built from its classes (and user subclasses of them) can be handed to refwasi.
 *
 * Every method returns a WASI errno (0 for success), as the shim's own `Fd` does; its errno
 * numbers are WASI's, so refwasi passes them on unchanged.
 */

export interface ShimFilestat {
  ino: bigint;
  filetype: number;
  size: bigint;
}

export interface ShimFdstat {
  fs_filetype: number;
  fs_flags: number;
}

/** `Fd`: one open thing, with the shim's own position for OpenFile. */
export interface ShimFd {
  fd_close(): number;
  fd_fdstat_get(): { ret: number; fdstat: ShimFdstat | null };
  fd_filestat_get(): { ret: number; filestat: ShimFilestat | null };
  fd_filestat_set_size(size: bigint): number;
  fd_allocate(offset: bigint, len: bigint): number;
  fd_read(size: number): { ret: number; data: Uint8Array };
  fd_write(data: Uint8Array): { ret: number; nwritten: number };
  fd_pread(size: number, offset: bigint): { ret: number; data: Uint8Array };
  fd_pwrite(data: Uint8Array, offset: bigint): { ret: number; nwritten: number };
  fd_seek(offset: bigint, whence: number): { ret: number; offset: bigint };
  fd_tell(): { ret: number; offset: bigint };
  fd_sync(): number;
  fd_prestat_get(): { ret: number; prestat: { inner?: { pr_name?: Uint8Array } } | null };
  /** PreopenDirectory's guest path. */
  prestat_name?: string;
  /** OpenDirectory / PreopenDirectory: the directory inode. */
  dir?: ShimInode;
  /** OpenFile: the file inode. */
  file?: ShimInode;
}

/** `Inode`: a file or directory of the shim's in-memory tree (or a user subclass). */
export interface ShimInode {
  ino: bigint;
  stat(): ShimFilestat;
  path_open(oflags: number, fs_rights_base: bigint, fd_flags: number): { ret: number; fd_obj: ShimFd | null };
}

/** `Directory`: an inode with a Map of named entries. */
export interface ShimDirectoryInode extends ShimInode {
  contents: Map<string, ShimInode>;
  /** Creates an empty File or Directory with the shim's own classes. */
  create_entry_for_path?(path: string, is_dir: boolean): { ret: number; entry: ShimInode | null };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** A browser_wasi_shim `Fd` (any subclass): it has the `Fd` base class's methods. */
export function isShimFd(x: unknown): x is ShimFd {
  return isObject(x) && typeof x.fd_close === 'function' && typeof x.fd_fdstat_get === 'function' &&
    typeof x.fd_write === 'function' && typeof x.fd_read === 'function';
}

/** A browser_wasi_shim `Inode` (any subclass). */
export function isShimInode(x: unknown): x is ShimInode {
  return isObject(x) && typeof x.ino === 'bigint' && typeof x.stat === 'function' && typeof x.path_open === 'function';
}

/** A Map, also one made in another realm (an iframe, a vm context) than refwasi's. */
const isMap = (x: unknown): x is Map<unknown, unknown> => Object.prototype.toString.call(x) === '[object Map]';

/** A browser_wasi_shim `Directory` (or anything that keeps its entries in a Map called `contents`). */
export function isShimDirectory(x: unknown): x is ShimDirectoryInode {
  return isShimInode(x) && isMap((x as { contents?: unknown }).contents);
}
