import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';

/**
 * What a mutation of a read-only preopen fails with. wasmtime (`--dir host::guest` with
 * read-only permissions) answers NotPermitted, which its preview1 layer reports as EPERM,
 * for open with write/create/truncate, mkdir, rmdir, unlink, symlink, link, rename and
 * set_times; refwasi matches it rather than EROFS, which a guest would take as a host fact.
 */
export const READ_ONLY_ERRNO = Errno.PERM;

/**
 * One preopened host directory and everything reached below it. The object is also the
 * `fs` identity of its inodes: the core refuses rename and link between two trees (EXDEV),
 * so moving an entry between preopens can't smuggle it past a read-only one.
 */
export class NodeTree {
  constructor(readonly readOnly: boolean) {}

  assertWritable(): void {
    if (this.readOnly) fail(READ_ONLY_ERRNO, 'read-only preopen');
  }
}

const WINDOWS = process.platform === 'win32';

/**
 * The core resolves paths and hands us single names, so one of these means a bug above
 * us. Defence in depth: a '/' or '..' would let the host walk out of the sandbox, and Node
 * throws a non-errno error on NUL. INVAL says "bad argument" without hinting at a permission
 * problem the guest could work around.
 */
export function checkName(name: string): void {
  const separator = name.includes('/') || (WINDOWS && name.includes('\\'));
  if (name === '' || name === '.' || name === '..' || separator || name.includes('\0')) {
    fail(Errno.INVAL, `not a single path component: ${JSON.stringify(name)}`);
  }
}
