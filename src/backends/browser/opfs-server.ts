import { PROTOCOL, type Protocol } from './protocol';

// Minimal shapes of the OPFS API as the server uses it (the worker-only parts are not in
// the DOM typings this project compiles against).
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at: number }): number;
  write(buffer: Uint8Array, options?: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<{ size: number; lastModified: number }>;
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
  move(dir: DirHandleLike, name: string): Promise<void>;
}
interface DirHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirHandleLike>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  entries(): AsyncIterable<[string, FileHandleLike | DirHandleLike]>;
  isSameEntry(other: DirHandleLike): Promise<boolean>;
}

/**
 * The OPFS server: runs in its own dedicated worker, does every asynchronous OPFS call and
 * owns every FileSystemSyncAccessHandle (they only work in the worker that made them).
 *
 * This function is self-contained (it is started from its own source text): it may use
 * nothing from outside its body but its parameter, the protocol numbers.
 *
 * State: a tree of nodes mirroring the mounted directory, loaded lazily one directory at a
 * time and then kept up to date by the server's own changes (a mount assumes nobody else
 * changes that directory meanwhile). Node ids are stable for the mount's life and serve as
 * inode numbers.
 *
 * Access handles: a file has at most one (OPFS allows no second one), made when its first
 * open file description opens and closed when its last one closes; descriptions of the same
 * file share it, counted in `opens`. A locked file cannot be moved or removed, so unlink or
 * rename of an open file closes its handle, moves the file (to the trash directory for
 * unlink), and makes a new handle on the moved file before answering: the descriptions keep
 * working, as POSIX says, and the trash entry is removed at the last close.
 */
export function opfsServerMain(P: Protocol): void {
  type Node = {
    id: number;
    kind: number;
    name: string;
    parent: Node | null;
    handle: FileHandleLike | DirHandleLike;
    children: Map<string, Node> | null;
    access: SyncAccessHandle | null;
    opens: number;
    unlinked: boolean;
    removed: boolean;
    /** Last-modified time, once known (refwasi's writes set it; OPFS is read once). */
    mtime: number | null;
    /** A closed file's size, once known (kept from its access handle at close). */
    size: number | null;
  };
  const E = P.E;
  const scope = self as unknown as {
    postMessage(m: unknown): void;
    close(): void;
    onmessage: ((e: { data: unknown }) => void) | null;
  };

  let i32: Int32Array;
  let f64: Float64Array;
  let data: Uint8Array;
  let root: Node;
  let trash: DirHandleLike;
  let hideTrashInRoot = false;
  const session = Math.random().toString(36).slice(2, 10);
  const nodes = new Map<number, Node>();
  const opens = new Map<number, Node>();
  let nextId = 1;
  let nextOpen = 1;
  let scratch = new Uint8Array(1 << 16);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const stats = {
    created: 0, closed: 0, acquired: 0, released: 0, swaps: 0, open: 0,
    descriptionsOpened: 0, descriptionsClosed: 0, descriptionsOpen: 0, doubleCloses: 0, closedAtUnmount: 0,
  };

  class Errno extends Error {
    constructor(readonly errno: number) {
      super(`errno ${errno}`);
    }
  }
  const fail = (errno: number): never => {
    throw new Errno(errno);
  };

  function errnoOf(e: unknown): number {
    if (e instanceof Errno) return e.errno;
    switch ((e as { name?: string } | null)?.name) {
      case 'NotFoundError': return E.NOENT;
      case 'TypeMismatchError': return E.NOTDIR;
      case 'NoModificationAllowedError': return E.BUSY;
      case 'InvalidModificationError': return E.NOTEMPTY;
      case 'QuotaExceededError': return E.NOSPC;
      case 'TypeError': return E.INVAL; // a name OPFS does not allow
      case 'NotAllowedError': case 'SecurityError': return E.ACCES;
      default: return E.IO;
    }
  }

  function makeNode(kind: number, name: string, parent: Node | null, handle: FileHandleLike | DirHandleLike): Node {
    const n: Node = {
      id: nextId++, kind, name, parent, handle, children: null, access: null, opens: 0,
      unlinked: false, removed: false, mtime: null, size: null,
    };
    nodes.set(n.id, n);
    return n;
  }

  const hidden = (dir: Node, name: string): boolean => hideTrashInRoot && dir === root && name === P.TRASH;

  async function children(dir: Node): Promise<Map<string, Node>> {
    if (dir.children === null) {
      const found: [string, FileHandleLike | DirHandleLike][] = [];
      for await (const entry of (dir.handle as DirHandleLike).entries()) {
        if (!hidden(dir, entry[0])) found.push(entry);
      }
      found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      dir.children = new Map();
      for (const [name, h] of found) dir.children.set(name, makeNode(h.kind === 'file' ? P.FILE : P.DIR, name, dir, h));
    }
    return dir.children;
  }

  function node(id: number): Node {
    const n = nodes.get(id);
    if (n === undefined || n.removed) return fail(E.NOENT);
    return n;
  }

  function dirNode(id: number): Node {
    const n = node(id);
    if (n.kind !== P.DIR) fail(E.NOTDIR);
    return n;
  }

  function openNode(openId: number): Node {
    const n = opens.get(openId);
    if (n === undefined || n.access === null) return fail(E.BADF);
    return n;
  }

  function names(): string[] {
    return decoder.decode(data.slice(0, i32[P.LEN])).split('/');
  }

  function answerJson(value: unknown): void {
    const bytes = encoder.encode(JSON.stringify(value));
    if (bytes.byteLength > data.byteLength) fail(E.IO);
    data.set(bytes);
    i32[P.RLEN] = bytes.byteLength;
  }

  async function newAccess(n: Node): Promise<void> {
    n.access = await (n.handle as FileHandleLike).createSyncAccessHandle();
    stats.created++;
    stats.open++;
  }

  function closeAccess(n: Node): void {
    const a = n.access!;
    n.access = null;
    n.size = a.getSize();
    stats.closed++;
    stats.open--;
    a.close();
  }

  /** A file's size and time from what the server knows, or null where OPFS must be asked. */
  function knownInfo(n: Node): { size: number; mtime: number } | null {
    if (n.mtime === null) return null;
    if (n.access !== null) return { size: n.access.getSize(), mtime: n.mtime };
    return n.size === null ? null : { size: n.size, mtime: n.mtime };
  }

  async function learnInfo(n: Node): Promise<void> {
    const f = await (n.handle as FileHandleLike).getFile();
    n.mtime ??= f.lastModified;
    if (n.access === null) n.size = f.size;
  }

  function statInto(n: Node): void | Promise<void> {
    if (n.kind === P.DIR) {
      if (n.children === null) return children(n).then(() => statInto(n));
      i32[P.R0] = P.DIR;
      i32[P.R1] = 1;
      f64[P.F_NUM] = n.children.size;
      f64[P.F_TIME] = 0;
      return;
    }
    const info = knownInfo(n);
    if (info === null) return learnInfo(n).then(() => statInto(n));
    i32[P.R0] = P.FILE;
    i32[P.R1] = n.unlinked ? 0 : 1;
    f64[P.F_NUM] = info.size;
    f64[P.F_TIME] = info.mtime;
  }

  /** Moves a file; an open one has its access handle closed around the move and made again. */
  async function moveFile(n: Node, to: DirHandleLike, name: string): Promise<void> {
    const wasOpen = n.access !== null;
    if (wasOpen) {
      n.access!.flush();
      closeAccess(n);
    }
    try {
      await (n.handle as FileHandleLike).move(to, name);
    } finally {
      if (wasOpen) {
        await newAccess(n);
        stats.swaps++;
      }
    }
  }

  /** An unlinked file: gone now if nobody has it open, else parked in the trash until its last close. */
  async function unlinkFile(n: Node, from: DirHandleLike): Promise<void> {
    n.unlinked = true;
    if (n.access !== null) {
      await moveFile(n, trash, `${session}-${n.id}`);
    } else {
      await from.removeEntry(n.name);
      n.removed = true;
      nodes.delete(n.id);
    }
  }

  /** OPFS cannot move a directory: make the new one, move what is inside, remove the old one. */
  async function moveTree(n: Node, to: DirHandleLike, name: string, from: DirHandleLike): Promise<void> {
    const created = await to.getDirectoryHandle(name, { create: true });
    for (const child of (await children(n)).values()) {
      if (child.kind === P.FILE) await moveFile(child, created, child.name);
      else await moveTree(child, created, child.name, n.handle as DirHandleLike);
    }
    await from.removeEntry(n.name);
    n.handle = created;
  }

  function isWithin(dir: Node, n: Node | null): boolean {
    for (let d = n; d !== null; d = d.parent) if (d === dir) return true;
    return false;
  }

  /**
   * Does one request. What the server already knows (a listed directory, an open file's
   * access handle, a known size) is answered at once, in the same turn; what needs OPFS's
   * asynchronous API returns a promise. A request that only lacks a listing loads it, then
   * runs again from the start (the request is still in the buffer).
   */
  function dispatch(op: number): void | Promise<void> {
    const a = i32[P.A];
    switch (op) {
      case P.LOOKUP: {
        const dir = dirNode(a);
        if (dir.children === null) return children(dir).then(() => dispatch(op));
        const n = dir.children.get(firstName());
        i32[P.R0] = n?.id ?? 0;
        i32[P.R1] = n?.kind ?? 0;
        return;
      }
      case P.LIST: {
        const dir = dirNode(a);
        if (dir.children === null) return children(dir).then(() => dispatch(op));
        const list: [string, number, number][] = [];
        for (const [name, n] of dir.children) list.push([name, n.kind, n.id]);
        return answerJson(list);
      }
      case P.STAT:
        return statInto(node(a));
      case P.OPEN: {
        const dir = dirNode(a);
        if (dir.children === null) return children(dir).then(() => dispatch(op));
        const n = dir.children.get(firstName());
        // A second open of an open file needs nothing from OPFS.
        if (n !== undefined && n.access !== null && !(i32[P.C] & P.O_EXCL)) return finishOpen(n, i32[P.C]);
        return openFile(dir, firstName(), i32[P.C]);
      }
      case P.READ: {
        const n = openNode(a);
        const len = Math.min(i32[P.B], data.byteLength);
        if (scratch.byteLength < len) scratch = new Uint8Array(len);
        const got = n.access!.read(scratch.subarray(0, len), { at: f64[P.F_POS] });
        data.set(scratch.subarray(0, got));
        i32[P.R0] = got;
        return;
      }
      case P.WRITE: {
        const n = openNode(a);
        const len = i32[P.LEN];
        if (scratch.byteLength < len) scratch = new Uint8Array(len);
        const bytes = scratch.subarray(0, len);
        bytes.set(data.subarray(0, len));
        i32[P.R0] = n.access!.write(bytes, { at: f64[P.F_POS] });
        n.mtime = Date.now();
        return;
      }
      case P.FSTAT:
        return statInto(openNode(a));
      case P.TRUNCATE: {
        const n = openNode(a);
        n.access!.truncate(f64[P.F_POS]);
        n.mtime = Date.now();
        return;
      }
      case P.FLUSH:
        openNode(a).access!.flush();
        return;
      case P.CLOSE:
        return closeOpen(a);
      case P.MKDIR:
        return mkdir(dirNode(a), firstName());
      case P.RMDIR:
        return rmdir(dirNode(a), firstName());
      case P.UNLINK:
        return unlink(dirNode(a), firstName());
      case P.RENAME: {
        const [name, toName] = names();
        return rename(dirNode(a), name, dirNode(i32[P.B]), toName);
      }
      case P.STATS:
        return answerJson(stats);
      case P.UNMOUNT: {
        for (const n of nodes.values()) {
          if (n.access !== null) {
            closeAccess(n);
            stats.closedAtUnmount++;
          }
        }
        opens.clear();
        return answerJson(stats);
      }
      default:
        fail(E.INVAL);
    }
  }

  function firstName(): string {
    return names()[0];
  }

  async function openFile(dir: Node, name: string, flags: number): Promise<void> {
    const entries = await children(dir);
    let n = entries.get(name);
    if (n === undefined) {
      if (!(flags & P.O_CREATE)) fail(E.NOENT);
      if (hidden(dir, name)) fail(E.PERM);
      const h = await (dir.handle as DirHandleLike).getFileHandle(name, { create: true });
      n = makeNode(P.FILE, name, dir, h);
      entries.set(name, n);
    } else if (flags & P.O_CREATE && flags & P.O_EXCL) {
      fail(E.EXIST);
    }
    if (n.kind === P.DIR) fail(E.ISDIR);
    if (n.access === null) {
      await newAccess(n);
      stats.acquired++;
    }
    finishOpen(n, flags);
  }

  /** A new description of a file whose access handle is open. */
  function finishOpen(n: Node, flags: number): void {
    if (n.kind === P.DIR) fail(E.ISDIR);
    n.opens++;
    stats.descriptionsOpened++;
    stats.descriptionsOpen++;
    const id = nextOpen++;
    opens.set(id, n);
    if (flags & P.O_TRUNC && n.access!.getSize() > 0) {
      n.access!.truncate(0);
      n.mtime = Date.now();
    }
    i32[P.R0] = id;
    i32[P.R1] = n.id;
  }

  function closeOpen(openId: number): void | Promise<void> {
    const n = opens.get(openId);
    if (n === undefined) {
      stats.doubleCloses++;
      return fail(E.BADF);
    }
    opens.delete(openId);
    stats.descriptionsClosed++;
    stats.descriptionsOpen--;
    if (--n.opens > 0 || n.access === null) return;
    closeAccess(n);
    stats.released++;
    if (!n.unlinked) return;
    n.removed = true;
    nodes.delete(n.id);
    return trash.removeEntry(`${session}-${n.id}`).catch(() => undefined);
  }

  async function mkdir(dir: Node, name: string): Promise<void> {
    const entries = await children(dir);
    if (entries.has(name)) fail(E.EXIST);
    if (hidden(dir, name)) fail(E.PERM);
    const h = await (dir.handle as DirHandleLike).getDirectoryHandle(name, { create: true });
    const n = makeNode(P.DIR, name, dir, h);
    n.children = new Map();
    entries.set(name, n);
    i32[P.R0] = n.id;
  }

  async function rmdir(dir: Node, name: string): Promise<void> {
    const entries = await children(dir);
    const n = entries.get(name) ?? fail(E.NOENT);
    if (n.kind !== P.DIR) fail(E.NOTDIR);
    if ((await children(n)).size > 0) fail(E.NOTEMPTY);
    await (dir.handle as DirHandleLike).removeEntry(name);
    entries.delete(name);
    n.removed = true;
    n.parent = null;
  }

  async function unlink(dir: Node, name: string): Promise<void> {
    const entries = await children(dir);
    const n = entries.get(name) ?? fail(E.NOENT);
    if (n.kind === P.DIR) fail(E.ISDIR);
    await unlinkFile(n, dir.handle as DirHandleLike);
    entries.delete(name);
  }

  async function rename(from: Node, name: string, to: Node, toName: string): Promise<void> {
    const fromEntries = await children(from);
    const toEntries = await children(to);
    const n = fromEntries.get(name) ?? fail(E.NOENT);
    const existing = toEntries.get(toName);
    if (existing === n) return;
    if (hidden(to, toName)) fail(E.PERM);
    if (n.kind === P.DIR) {
      if (isWithin(n, to)) fail(E.INVAL);
      if (existing !== undefined) {
        if (existing.kind !== P.DIR) fail(E.NOTDIR);
        if ((await children(existing)).size > 0) fail(E.NOTEMPTY);
        await (to.handle as DirHandleLike).removeEntry(toName);
        toEntries.delete(toName);
        existing.removed = true;
        existing.parent = null;
      }
      await moveTree(n, to.handle as DirHandleLike, toName, from.handle as DirHandleLike);
    } else {
      if (existing !== undefined && existing.kind === P.DIR) fail(E.ISDIR);
      if (existing !== undefined) {
        // A replaced file that is open lives on (POSIX); one that is not is overwritten by the move.
        existing.unlinked = true;
        if (existing.access !== null) {
          await moveFile(existing, trash, `${session}-${existing.id}`);
        } else {
          existing.removed = true;
          nodes.delete(existing.id);
        }
        toEntries.delete(toName);
      }
      await moveFile(n, to.handle as DirHandleLike, toName);
    }
    fromEntries.delete(name);
    toEntries.set(toName, n);
    n.name = toName;
    n.parent = to;
  }

  // Serving. The server blocks in Atomics.wait between requests, so a request wakes it
  // directly, not through its event loop; it returns to the event loop only while a request
  // awaits OPFS.
  function waitForRequest(): void {
    for (;;) {
      const state = Atomics.load(i32, P.STATE);
      if (state === P.REQUEST) return;
      Atomics.wait(i32, P.STATE, state);
    }
  }

  function answer(op: number): void {
    Atomics.store(i32, P.STATE, P.RESPONSE);
    Atomics.notify(i32, P.STATE);
    if (op === P.UNMOUNT) scope.close();
  }

  function serveLoop(): void {
    for (;;) {
      waitForRequest();
      const op = i32[P.OP];
      i32[P.ERRNO] = 0;
      i32[P.RLEN] = 0;
      let pending: void | Promise<void> = undefined;
      try {
        pending = dispatch(op);
      } catch (e) {
        i32[P.ERRNO] = errnoOf(e);
      }
      if (pending !== undefined) {
        pending
          .catch((e: unknown) => {
            i32[P.ERRNO] = errnoOf(e);
          })
          .then(() => {
            answer(op);
            if (op !== P.UNMOUNT) serveLoop();
          });
        return;
      }
      answer(op);
      if (op === P.UNMOUNT) return;
    }
  }

  async function init(sab: SharedArrayBuffer, mount: string | DirHandleLike): Promise<void> {
    i32 = new Int32Array(sab, 0, P.HEADER_BYTES / 4);
    f64 = new Float64Array(sab, 0, P.HEADER_BYTES / 8);
    data = new Uint8Array(sab, P.HEADER_BYTES);
    const storage = (navigator as unknown as { storage: { getDirectory(): Promise<DirHandleLike> } }).storage;
    const top = await storage.getDirectory();
    let dir: DirHandleLike = top;
    if (typeof mount === 'string') {
      for (const part of mount.split('/').filter((p) => p.length > 0)) {
        if (part === P.TRASH) fail(E.PERM);
        dir = await dir.getDirectoryHandle(part, { create: true });
      }
    } else {
      dir = mount;
    }
    hideTrashInRoot = await top.isSameEntry(dir);
    trash = await top.getDirectoryHandle(P.TRASH, { create: true });
    // What an earlier page left in the trash (it ended with files open): remove what is not locked.
    const leftovers: string[] = [];
    for await (const [name] of trash.entries()) leftovers.push(name);
    for (const name of leftovers) await trash.removeEntry(name, { recursive: true }).catch(() => undefined);
    root = makeNode(P.DIR, dir.name, null, dir);
  }

  scope.onmessage = (e) => {
    const msg = e.data as { type: string; sab: SharedArrayBuffer; mount: string | DirHandleLike };
    if (msg.type !== 'init') return;
    scope.onmessage = null;
    init(msg.sab, msg.mount).then(
      () => {
        scope.postMessage({ type: 'ready', rootId: root.id });
        serveLoop();
      },
      (err: unknown) => scope.postMessage({ type: 'error', message: String((err as Error)?.message ?? err), errno: errnoOf(err) }),
    );
  };
}

/** The server's source, ready to run as a classic worker script. */
export function opfsServerSource(): string {
  return `(${opfsServerMain.toString()})(${JSON.stringify(PROTOCOL)});\n`;
}
