// The import object's types, function by function, in the raw wasm ABI: an i32 is a JS
// number (pointers are unsigned 32-bit addresses into guest memory, fds and flags are plain
// numbers), an i64 is a bigint, and every function returns a WASI errno (`Errno`) except
// `proc_exit`, which never returns. They are object types rather than interfaces so that an
// import object is assignable to `WebAssembly.Imports` as it is.

/** A pointer into guest memory. */
export type Ptr = number;
/** A WASI errno (see `Errno`). */
export type ErrnoResult = number;

/** `wasi_snapshot_preview1`, as refwasi provides it. */
export type Preview1Imports = {
  args_get(argv: Ptr, argvBuf: Ptr): ErrnoResult;
  args_sizes_get(argcOut: Ptr, argvBufSizeOut: Ptr): ErrnoResult;
  environ_get(environ: Ptr, environBuf: Ptr): ErrnoResult;
  environ_sizes_get(countOut: Ptr, bufSizeOut: Ptr): ErrnoResult;
  clock_res_get(id: number, resolutionOut: Ptr): ErrnoResult;
  clock_time_get(id: number, precision: bigint, timeOut: Ptr): ErrnoResult;
  fd_advise(fd: number, offset: bigint, len: bigint, advice: number): ErrnoResult;
  fd_allocate(fd: number, offset: bigint, len: bigint): ErrnoResult;
  fd_close(fd: number): ErrnoResult;
  fd_datasync(fd: number): ErrnoResult;
  fd_fdstat_get(fd: number, fdstatOut: Ptr): ErrnoResult;
  fd_fdstat_set_flags(fd: number, fdflags: number): ErrnoResult;
  fd_fdstat_set_rights(fd: number, rightsBase: bigint, rightsInheriting: bigint): ErrnoResult;
  fd_filestat_get(fd: number, filestatOut: Ptr): ErrnoResult;
  fd_filestat_set_size(fd: number, size: bigint): ErrnoResult;
  fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, fstflags: number): ErrnoResult;
  fd_pread(fd: number, iovs: Ptr, iovsLen: number, offset: bigint, nreadOut: Ptr): ErrnoResult;
  fd_prestat_get(fd: number, prestatOut: Ptr): ErrnoResult;
  fd_prestat_dir_name(fd: number, path: Ptr, pathLen: number): ErrnoResult;
  fd_pwrite(fd: number, iovs: Ptr, iovsLen: number, offset: bigint, nwrittenOut: Ptr): ErrnoResult;
  fd_read(fd: number, iovs: Ptr, iovsLen: number, nreadOut: Ptr): ErrnoResult;
  fd_readdir(fd: number, buf: Ptr, bufLen: number, cookie: bigint, bufusedOut: Ptr): ErrnoResult;
  fd_renumber(from: number, to: number): ErrnoResult;
  fd_seek(fd: number, offset: bigint, whence: number, newOffsetOut: Ptr): ErrnoResult;
  fd_sync(fd: number): ErrnoResult;
  fd_tell(fd: number, offsetOut: Ptr): ErrnoResult;
  fd_write(fd: number, iovs: Ptr, iovsLen: number, nwrittenOut: Ptr): ErrnoResult;
  path_create_directory(fd: number, path: Ptr, pathLen: number): ErrnoResult;
  path_filestat_get(fd: number, lookupflags: number, path: Ptr, pathLen: number, filestatOut: Ptr): ErrnoResult;
  path_filestat_set_times(
    fd: number, lookupflags: number, path: Ptr, pathLen: number, atim: bigint, mtim: bigint, fstflags: number,
  ): ErrnoResult;
  path_link(oldFd: number, oldLookupflags: number, oldPath: Ptr, oldPathLen: number, newFd: number, newPath: Ptr, newPathLen: number): ErrnoResult;
  path_open(
    fd: number, dirflags: number, path: Ptr, pathLen: number, oflags: number,
    rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: Ptr,
  ): ErrnoResult;
  path_readlink(fd: number, path: Ptr, pathLen: number, buf: Ptr, bufLen: number, bufusedOut: Ptr): ErrnoResult;
  path_remove_directory(fd: number, path: Ptr, pathLen: number): ErrnoResult;
  path_rename(fd: number, oldPath: Ptr, oldPathLen: number, newFd: number, newPath: Ptr, newPathLen: number): ErrnoResult;
  path_symlink(oldPath: Ptr, oldPathLen: number, fd: number, newPath: Ptr, newPathLen: number): ErrnoResult;
  path_unlink_file(fd: number, path: Ptr, pathLen: number): ErrnoResult;
  poll_oneoff(subscriptions: Ptr, eventsOut: Ptr, nsubscriptions: number, neventsOut: Ptr): ErrnoResult;
  /** Ends the program: throws `ProcExit` (or traps for a status of 126 or more). */
  proc_exit(code: number): never;
  proc_raise(signal: number): ErrnoResult;
  random_get(buf: Ptr, bufLen: number): ErrnoResult;
  sched_yield(): ErrnoResult;
  sock_accept(fd: number, fdflags: number, fdOut: Ptr): ErrnoResult;
  sock_recv(fd: number, iovs: Ptr, iovsLen: number, riflags: number, nreadOut: Ptr, roflagsOut: Ptr): ErrnoResult;
  sock_send(fd: number, iovs: Ptr, iovsLen: number, siflags: number, nwrittenOut: Ptr): ErrnoResult;
  sock_shutdown(fd: number, how: number): ErrnoResult;
};

/** `wasix_32v1`: the dup extension (the WASIX ABI, with POSIX meaning). */
export type WasixImports = {
  /** POSIX `dup`: the lowest free fd, same description, CLOEXEC cleared. */
  fd_dup(fd: number, fdOut: Ptr): ErrnoResult;
  /** `fcntl(F_DUPFD)` / `F_DUPFD_CLOEXEC`: the lowest free fd >= minResultFd; cloexec is 0 or 1. */
  fd_dup2(fd: number, minResultFd: number, cloexec: number, fdOut: Ptr): ErrnoResult;
  /** The descriptor's own flags (CLOEXEC = 1) as a u16. */
  fd_fdflags_get(fd: number, flagsOut: Ptr): ErrnoResult;
  fd_fdflags_set(fd: number, flags: number): ErrnoResult;
  /** An in-memory pipe: the read end, then the write end. */
  fd_pipe(readFdOut: Ptr, writeFdOut: Ptr): ErrnoResult;
};

/** What `WASI.getImportObject()` returns. */
export type ImportObject = {
  wasi_snapshot_preview1: Preview1Imports;
  wasix_32v1: WasixImports;
};
