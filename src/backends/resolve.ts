import { Errno } from '../abi/constants';
import { fail } from '../abi/errors';
import type { DirectoryInode, Inode } from './types';

/** Longest path a syscall accepts, and longest single component (as Linux's PATH_MAX / NAME_MAX). */
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;
/** Symlinks followed in one lookup before ELOOP (Linux's MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/**
 * Where a path led. `parent` and `name` address the last component, so callers can create,
 * remove or rename it; `inode` is what is there now (null if nothing). When the path ends in
 * '.' or '..', `name` is '.' and `inode` is the directory itself (there is no name to act on).
 */
export interface Resolved {
  parent: DirectoryInode;
  name: string;
  inode: Inode | null;
  /** The path ended in '/': the target must be (or become) a directory. */
  trailingSlash: boolean;
}

/** UTF-8 length of `s`: the limits are in bytes, as the guest passed them, not UTF-16 units. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above; a surrogate pair is 4 bytes, 2 for each half.
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** The non-empty components of `path`, last one first (the walk pops them off the end). */
function componentsLastFirst(path: string): string[] {
  const out: string[] = [];
  let end = path.length;
  for (let i = path.length - 1; i >= -1; i--) {
    if (i >= 0 && path.charCodeAt(i) !== 0x2f) continue;
    if (end > i + 1) out.push(path.slice(i + 1, end));
    end = i;
  }
  return out;
}

/**
 * Resolves `path` relative to `start` component by component, the way cap-std sandboxes a
 * directory capability: `start` is the root of the walk, `..` may never climb above it,
 * absolute paths and absolute symlink targets are refused (EPERM, as wasmtime does), and
 * symlinks are read and followed here, never by the host. A backend only ever sees single
 * names, so no host path walk can leave the sandbox.
 */
/**
 * A path that is one plain name (the usual open, stat or unlink after libc split off the
 * preopen): no '/', not '.' or '..', no NUL, surely within NAME_MAX.
 */
export function isPlainName(path: string): boolean {
  return path.length > 0 && path.length <= MAX_NAME_BYTES / 3 && path !== '.' && path !== '..' &&
    path.indexOf('/') === -1 && path.indexOf('\0') === -1;
}

/**
 * A path of plain names only, joined by single slashes: none empty, '.' or '..', no leading
 * or trailing slash, no NUL, each surely within NAME_MAX and the whole within PATH_MAX. A walk
 * of it only ever descends, so a host that walks it in one call inside the start directory,
 * refusing every symlink, goes exactly where this walk would when it meets none.
 */
export function isPlainPath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_PATH_BYTES / 3 || path.indexOf('\0') !== -1) return false;
  for (let start = 0, i = 0; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== 0x2f) continue;
    const len = i - start;
    if (len === 0 || len > MAX_NAME_BYTES / 3) return false;
    if (path.charCodeAt(start) === 0x2e && (len === 1 || (len === 2 && path.charCodeAt(start + 1) === 0x2e))) return false;
    start = i + 1;
  }
  return true;
}

export function resolvePath(start: DirectoryInode, path: string, followFinal: boolean, finalIsName = false): Resolved {
  // One plain name is one lookup; the walk below would give the same answer, at the cost of its arrays.
  if (isPlainName(path)) {
    const inode = start.lookup(path);
    if (inode === null || inode.kind !== 'symlink' || !followFinal) return { parent: start, name: path, inode, trailingSlash: false };
  }
  if (path.length === 0) fail(Errno.NOENT);
  if (path.includes('\0')) fail(Errno.INVAL);
  if (path.length > MAX_PATH_BYTES / 3 && utf8Length(path) > MAX_PATH_BYTES) fail(Errno.NAMETOOLONG);
  if (path.startsWith('/')) fail(Errno.PERM, 'absolute paths leave the preopen');

  const stack: DirectoryInode[] = [start];
  // Components still to walk, last one first, so symlink targets splice in with push.
  const todo = componentsLastFirst(path);
  let trailingSlash = path.endsWith('/');
  let hops = 0;
  if (todo.length === 0) todo.push('.');

  for (;;) {
    const name = todo.pop()!;
    const dir = stack[stack.length - 1];
    const isLast = todo.length === 0;
    if (name.length > MAX_NAME_BYTES / 3 && utf8Length(name) > MAX_NAME_BYTES) fail(Errno.NAMETOOLONG);

    if (name === '.' || name === '..') {
      if (name === '..') {
        if (stack.length === 1) fail(Errno.PERM, '.. leaves the preopen');
        stack.pop();
      }
      if (isLast) {
        const self = stack[stack.length - 1];
        return { parent: self, name: '.', inode: self, trailingSlash };
      }
      continue;
    }

    const inode = dir.lookup(name);
    if (inode === null) {
      if (!isLast) fail(Errno.NOENT);
      return { parent: dir, name, inode: null, trailingSlash };
    }
    // A trailing slash follows a final link for lookups; calls that act on the name itself
    // (create, remove, rename: finalIsName) always see the link, as the kernel's do.
    if (inode.kind === 'symlink' && (!isLast || followFinal || (trailingSlash && !finalIsName))) {
      if (++hops > MAX_SYMLINK_HOPS) fail(Errno.LOOP);
      const target = inode.readlink();
      if (target.length === 0) fail(Errno.NOENT);
      if (target.startsWith('/')) fail(Errno.PERM, 'absolute symlink leaves the preopen');
      const parts = componentsLastFirst(target);
      // A target ending in '/' makes the rest a directory lookup, as the kernel does.
      if (isLast && target.endsWith('/')) trailingSlash = true;
      if (parts.length === 0) parts.push('.');
      for (const part of parts) todo.push(part);
      continue;
    }
    if (isLast) {
      // A name acted on is the caller's to judge (mkdir "file/" is EEXIST, rmdir "link/" ENOTDIR).
      if (trailingSlash && inode.kind !== 'directory' && !finalIsName) fail(Errno.NOTDIR);
      return { parent: dir, name, inode, trailingSlash };
    }
    if (inode.kind !== 'directory') fail(Errno.NOTDIR);
    stack.push(inode);
  }
}
