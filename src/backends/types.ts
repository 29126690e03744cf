import type { Advice, Filetype } from '../abi/constants';
import type { EncodedListing } from '../abi/dirent';

/**
 * The interfaces every host backend implements. The descriptor table and the path
 * resolver only see these, so memory, Node, OPFS and foreign (browser_wasi_shim) storage
 * all share one implementation of descriptor semantics and one sandbox.
 *
 * Errors: methods throw WasiError with the errno the syscall should return. Anything else
 * they throw is reported to the guest as EIO.
 */

/** What fd_filestat_get reports. Times are nanoseconds since the epoch. */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  filetype: Filetype;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

/** A new timestamp for set_times: a value in nanoseconds, 'now', or null to leave it. */
export type TimeUpdate = bigint | 'now' | null;

/** One entry of a directory listing, without '.' and '..' (the syscall layer adds those). */
export interface DirEntry {
  name: string;
  filetype: Filetype;
  ino: bigint;
}

/** How a file is opened through `Directory.openFile`. */
export interface OpenFileOptions {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
}

/**
 * An entry looked up in a directory, without following it if it is a symlink.
 * `filetype` says which of the three shapes it has.
 */
export type Inode = DirectoryInode | FileInode | SymlinkInode;

interface InodeBase {
  stat(): FileStat;
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void;
  /** Which backend instance (filesystem) this belongs to: rename and link across them are EXDEV. */
  readonly fs: object;
}

export interface FileInode extends InodeBase {
  readonly kind: 'file';
  /** What stat() would report as its filetype, where the backend knows it without a stat. */
  readonly filetype?: Filetype;
}

export interface SymlinkInode extends InodeBase {
  readonly kind: 'symlink';
  readlink(): string;
}

/** A directory, addressed by its entries' names. Names are single components, never '.', '..' or containing '/'. */
export interface DirectoryInode extends InodeBase {
  readonly kind: 'directory';
  /** The entry called `name`, or null if there is none. Does not follow symlinks. */
  lookup(name: string): Inode | null;
  /** All entries, in a stable order. */
  list(): DirEntry[];
  /**
   * Optional: the listing already encoded for fd_readdir (encodeListing of stat().ino and
   * list()), which a backend may keep until the directory next changes.
   */
  encodedListing?(): EncodedListing;
  /** Opens (maybe creates) the regular file `name`. The caller has already refused symlinks and directories where it must. */
  openFile(name: string, options: OpenFileOptions): FileHandle;
  /**
   * Optional: opens `path` (plain names joined by '/', see isPlainPath) in one step, without
   * a lookup per component, if every component but the last is a directory and the last is
   * there and is neither a directory nor a symlink: no symlink anywhere is followed, nothing
   * is created, and the walk never leaves this directory. Its filetype comes with it. null
   * for anything else, or any error (or a path with '/' it cannot walk so): the caller then
   * walks and opens it as usual, which answers every other case. A host backend saves a
   * host call per component.
   */
  openExisting?(path: string, options: OpenFileOptions): { handle: FileHandle; filetype: Filetype } | null;
  mkdir(name: string): void;
  rmdir(name: string): void;
  unlink(name: string): void;
  symlink(target: string, name: string): void;
  /** Hard-links the entry `name` as `toName` in `toDir` (same fs). */
  link(name: string, toDir: DirectoryInode, toName: string): void;
  /** Renames `name` to `toName` in `toDir` (same fs), with POSIX replace rules. */
  rename(name: string, toDir: DirectoryInode, toName: string): void;
  /**
   * A descriptor now holds this directory, until the matching release (each called once per
   * descriptor's description). A backend that holds host resources per directory keeps them
   * for that long; retain may fail (ENFILE) when it can hold no more.
   */
  retain?(): void;
  release?(): void;
}

/** Anything an open file description can hold; `close` is called exactly once, by the description. */
export interface HandleBase {
  stat(): FileStat;
  close(): void;
}

/** A regular file, read and written at explicit positions: the offset lives in the description. */
export interface FileHandle extends HandleBase {
  readonly kind: 'file';
  read(into: Uint8Array, position: number): number;
  write(data: Uint8Array, position: number): number;
  /**
   * Optional forms of read and write over a range of a larger array (guest memory itself):
   * `at` and `length` say where in `bytes`. A backend that has them saves the syscall layer
   * a view per iovec; they must behave exactly as read/write on that range.
   */
  readInto?(bytes: Uint8Array, at: number, length: number, position: number): number;
  writeFrom?(bytes: Uint8Array, at: number, length: number, position: number): number;
  /**
   * Optional, with appendedEnd: an APPEND write of bytes [at, at + length) at the end of the
   * file as the host sees it, returning the count. A backend whose host can find the end and
   * write there in one step (so nobody else's append lands in between) has it; without it,
   * the syscall layer writes at size().
   */
  appendFrom?(bytes: Uint8Array, at: number, length: number): number;
  /** The position just past the bytes the last appendFrom wrote; asked only when the offset is next needed. */
  appendedEnd?(): number;
  size(): number;
  truncate(size: number): void;
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void;
  sync(): void;
  datasync(): void;
  allocate(offset: number, length: number): void;
  advise(offset: number, length: number, advice: Advice): void;
}

/** Readiness, for poll_oneoff: how many bytes a read could take now, or whether the peer is gone. */
export interface Readiness {
  ready: boolean;
  /** Bytes known to move without blocking (0: unknown, or nothing at the end). */
  nbytes: number;
  hangup: boolean;
  /**
   * When not ready: true if something other than this guest (another thread, the host) may
   * make it ready while the guest waits, so poll_oneoff keeps looking. False (a pipe whose
   * only writer is this guest) lets poll_oneoff see a wait that could never end.
   */
  external?: boolean;
}

/** A byte stream without positions: stdio, a pipe end, a socket. */
export interface StreamHandle extends HandleBase {
  readonly kind: 'stream';
  readonly filetype: Filetype;
  /** Reads what is there; 0 means end of stream. Throws AGAIN when nothing is there yet. */
  read(into: Uint8Array): number;
  /** Writes and returns the count written. Throws PIPE when nobody can read it any more. */
  write(data: Uint8Array): number;
  /** Optional read/write over a range of a larger array, as FileHandle's readInto/writeFrom. */
  readInto?(bytes: Uint8Array, at: number, length: number): number;
  writeFrom?(bytes: Uint8Array, at: number, length: number): number;
  readReadiness?(): Readiness;
  writeReadiness?(): Readiness;
  /**
   * Optional, for a stream whose reads wait on the host (host stdin): from now on a read that
   * finds nothing throws AGAIN instead of blocking this JS thread, and `wake` is called, on
   * this thread, whenever a read may succeed (data or the end has come). A threads kernel
   * whose thread runs no guest code calls it, so such a read parks only the thread that asked.
   */
  readWithoutBlocking?(wake: () => void): void;
  /** Flush buffered output (fd_sync on stdout). */
  sync?(): void;
  /** True for sockets (sock_* calls check it). */
  readonly socket?: boolean;
  shutdown?(how: number): void;
  /** A listening socket's next connection (sock_accept); throws AGAIN when none is waiting. */
  accept?(): StreamHandle;
}

/** An opened directory. Its listing is snapshotted per fd_readdir pass so a listing is O(entries). */
export interface DirectoryHandle extends HandleBase {
  readonly kind: 'directory';
  readonly dir: DirectoryInode;
}

export type Handle = FileHandle | StreamHandle | DirectoryHandle;
