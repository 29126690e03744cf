import { Filetype, SIZEOF_DIRENT } from './constants';
import { encodeString } from './memory';

/** What a directory listing needs per entry (backends' DirEntry has this shape). */
export interface ListedEntry {
  name: string;
  filetype: Filetype;
  ino: bigint;
}

/**
 * A directory's listing as fd_readdir writes it: every dirent (header and name), '.' and '..'
 * first, back to back, and where each entry starts. A readdir call is then one copy of a
 * byte range, whatever the cookie; an entry cut by the end of the guest's buffer is cut
 * exactly as writing it field by field would cut it. Immutable once made, so a description
 * can keep one as its snapshot while the directory changes (cookies stay stable).
 */
export class EncodedListing {
  /** starts[i]: where entry i (cookie i) begins; starts[count]: the total length. */
  constructor(readonly bytes: Uint8Array, readonly starts: Uint32Array) {}

  get count(): number {
    return this.starts.length - 1;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Encodes '.', '..' (both with the directory's own inode number, as before) and `entries`. */
export function encodeListing(selfIno: bigint, entries: readonly ListedEntry[]): EncodedListing {
  const count = entries.length + 2;
  const names: (Uint8Array | string)[] = new Array(count);
  names[0] = '.';
  names[1] = '..';
  let total = 2 * SIZEOF_DIRENT + 3;
  for (let i = 0; i < entries.length; i++) {
    const name = entries[i].name;
    // An ASCII name (the usual kind) is copied by char code, without TextEncoder.
    const n = isAscii(name) ? name : encodeString(name);
    names[i + 2] = n;
    total += SIZEOF_DIRENT + n.length;
  }
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const starts = new Uint32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = at;
    const name = names[i];
    const e = i < 2 ? null : entries[i - 2];
    view.setUint32(at, i + 1, true); // d_next, a u64: i + 1 < 2^32 (the upper half stays 0)
    view.setBigUint64(at + 8, e === null ? selfIno : e.ino, true);
    view.setUint32(at + 16, name.length, true);
    view.setUint8(at + 20, e === null ? Filetype.DIRECTORY : e.filetype);
    at += SIZEOF_DIRENT;
    if (typeof name === 'string') for (let k = 0; k < name.length; k++) bytes[at + k] = name.charCodeAt(k);
    else bytes.set(name, at);
    at += name.length;
  }
  starts[count] = at;
  return new EncodedListing(bytes, starts);
}
