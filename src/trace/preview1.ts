// How the trace decodes each wasi_snapshot_preview1 function: the arguments worth reading
// (fds, paths, flags by name, iovec lengths), read before the call, and what a successful
// call wrote back (the new fd, the count, the offset), read after it.
import {
  Advice, Clockid, Eventtype, Fdflags, Filetype, Fstflags, Lookupflags, Oflags, Riflags, Sdflags, SIZEOF_SUBSCRIPTION, Subclockflags, Whence,
} from '../abi/constants';
import type { TraceField } from './event';
import {
  choice, fd, field, flags, hex, iovecs, outU32, outU64, read, rights, s64, str, u32, u64, type MemorySource,
} from './fields';

/** Raw arguments: i32 as numbers, i64 as bigints (typed loosely: the helpers take both). */
export type Raw = readonly number[];

export interface Decoder {
  args(r: Raw, memory: MemorySource): TraceField[];
  /** Read only after a call that returned 0. */
  results?(r: Raw, memory: MemorySource): TraceField[];
}

/**
 * Lookup flags read as open(2) reads: following the last symlink is the default and goes
 * unsaid; not following it shows as NOFOLLOW (O_NOFOLLOW, lstat). The value stays the raw one.
 */
function lookup(v: number): TraceField {
  const n = v >>> 0;
  if (n === Lookupflags.SYMLINK_FOLLOW) return field('lookupflags', n, 'SYMLINK_FOLLOW', true);
  const unknown = n & ~Lookupflags.SYMLINK_FOLLOW;
  const parts = [...(n & Lookupflags.SYMLINK_FOLLOW ? [] : ['NOFOLLOW']), ...(unknown ? [hex(unknown)] : [])];
  return field('lookupflags', n, parts.join('|'));
}
const path = (memory: MemorySource, ptr: number, len: number, name = 'path'): TraceField => str(name, memory, ptr, len);

function fdstat(memory: MemorySource, ptr: number): TraceField[] {
  const v = read(memory, (m) => ({ filetype: m.u8(ptr), flags: m.u16(ptr + 2), base: m.u64(ptr + 8), inheriting: m.u64(ptr + 16) }));
  if (v === undefined) return [field('fdstat', null, '?')];
  return [choice('filetype', v.filetype, Filetype), flags('flags', v.flags, Fdflags), rights('rights_base', v.base), rights('rights_inheriting', v.inheriting)];
}

function filestat(memory: MemorySource, ptr: number): TraceField[] {
  const v = read(memory, (m) => ({ filetype: m.u8(ptr + 16), nlink: m.u64(ptr + 24), size: m.u64(ptr + 32) }));
  if (v === undefined) return [field('filestat', null, '?')];
  return [choice('filetype', v.filetype, Filetype), field('size', v.size, `size=${v.size}`)];
}

function subscriptions(memory: MemorySource, ptr: number, count: number): TraceField {
  const subs = read(memory, (m) => {
    const out: { text: string; value: TraceField['value'] }[] = [];
    for (let i = 0; i < count >>> 0 && i < 64; i++) {
      const p = (ptr >>> 0) + i * SIZEOF_SUBSCRIPTION;
      const tag = m.u8(p + 8);
      if (tag === Eventtype.CLOCK) {
        const id = m.u32(p + 16);
        const timeout = m.u64(p + 24);
        const abs = (m.u16(p + 40) & Subclockflags.ABSTIME) !== 0;
        out.push({ value: { type: 'clock', clock: id, timeout, abstime: abs ? 1 : 0 }, text: `clock(${Clockid[id] ?? id}, ${timeout}ns${abs ? ', ABSTIME' : ''})` });
      } else {
        const target = m.u32(p + 16);
        const type = tag === Eventtype.FD_READ ? 'fd_read' : tag === Eventtype.FD_WRITE ? 'fd_write' : `event ${tag}`;
        out.push({ value: { type, fd: target }, text: `${type}(${target})` });
      }
    }
    return out;
  });
  if (subs === undefined) return field('subscriptions', null, `${(ptr >>> 0).toString(16)}[${count >>> 0}]`);
  const more = count >>> 0 > subs.length ? ', ...' : '';
  return field('subscriptions', subs.map((s) => s.value), `[${subs.map((s) => s.text).join(', ')}${more}]`);
}

export const preview1Decoders: Record<string, Decoder> = {
  args_get: { args: () => [] },
  args_sizes_get: { args: () => [], results: (r, m) => [outU32('argc', m, r[0]), outU32('argv_buf_size', m, r[1])] },
  environ_get: { args: () => [] },
  environ_sizes_get: { args: () => [], results: (r, m) => [outU32('count', m, r[0]), outU32('buf_size', m, r[1])] },
  clock_res_get: { args: (r) => [choice('id', r[0], Clockid)], results: (r, m) => [outU64('resolution', m, r[1])] },
  clock_time_get: { args: (r) => [choice('id', r[0], Clockid), u64('precision', r[1])], results: (r, m) => [outU64('time', m, r[2])] },

  fd_advise: { args: (r) => [fd('fd', r[0]), u64('offset', r[1]), u64('len', r[2]), choice('advice', r[3], Advice)] },
  fd_allocate: { args: (r) => [fd('fd', r[0]), u64('offset', r[1]), u64('len', r[2])] },
  fd_close: { args: (r) => [fd('fd', r[0])] },
  fd_datasync: { args: (r) => [fd('fd', r[0])] },
  fd_fdstat_get: { args: (r) => [fd('fd', r[0])], results: (r, m) => fdstat(m, r[1]) },
  fd_fdstat_set_flags: { args: (r) => [fd('fd', r[0]), flags('flags', r[1], Fdflags)] },
  fd_fdstat_set_rights: { args: (r) => [fd('fd', r[0]), rights('fs_rights_base', r[1]), rights('fs_rights_inheriting', r[2])] },
  fd_filestat_get: { args: (r) => [fd('fd', r[0])], results: (r, m) => filestat(m, r[1]) },
  fd_filestat_set_size: { args: (r) => [fd('fd', r[0]), u64('size', r[1])] },
  fd_filestat_set_times: { args: (r) => [fd('fd', r[0]), u64('atim', r[1]), u64('mtim', r[2]), flags('fst_flags', r[3], Fstflags)] },
  fd_pread: {
    args: (r, m) => [fd('fd', r[0]), iovecs('iovs', m, r[1], r[2]), u64('offset', r[3])],
    results: (r, m) => [outU32('nread', m, r[4])],
  },
  fd_prestat_get: {
    args: (r) => [fd('fd', r[0])],
    results: (r, m) => {
      const v = read(m, (mem) => ({ tag: mem.u8(r[1]), len: mem.u32(r[1] + 4) }));
      return v === undefined ? [field('prestat', null, '?')] : [field('tag', v.tag, v.tag === 0 ? 'DIR' : String(v.tag)), field('name_len', v.len, `name_len=${v.len}`)];
    },
  },
  fd_prestat_dir_name: { args: (r) => [fd('fd', r[0]), u32('path_len', r[2])], results: (r, m) => [path(m, r[1], r[2])] },
  fd_pwrite: {
    args: (r, m) => [fd('fd', r[0]), iovecs('iovs', m, r[1], r[2]), u64('offset', r[3])],
    results: (r, m) => [outU32('nwritten', m, r[4])],
  },
  fd_read: { args: (r, m) => [fd('fd', r[0]), iovecs('iovs', m, r[1], r[2])], results: (r, m) => [outU32('nread', m, r[3])] },
  fd_readdir: {
    args: (r) => [fd('fd', r[0]), u32('buf_len', r[2]), u64('cookie', r[3])],
    results: (r, m) => [outU32('bufused', m, r[4])],
  },
  fd_renumber: { args: (r) => [fd('fd', r[0]), fd('to', r[1])] },
  fd_seek: {
    args: (r) => [fd('fd', r[0]), s64('offset', r[1]), choice('whence', r[2], Whence)],
    results: (r, m) => [outU64('newoffset', m, r[3])],
  },
  fd_sync: { args: (r) => [fd('fd', r[0])] },
  fd_tell: { args: (r) => [fd('fd', r[0])], results: (r, m) => [outU64('offset', m, r[1])] },
  fd_write: { args: (r, m) => [fd('fd', r[0]), iovecs('iovs', m, r[1], r[2])], results: (r, m) => [outU32('nwritten', m, r[3])] },

  path_create_directory: { args: (r, m) => [fd('fd', r[0]), path(m, r[1], r[2])] },
  path_filestat_get: {
    args: (r, m) => [fd('fd', r[0]), path(m, r[2], r[3]), lookup(r[1])],
    results: (r, m) => filestat(m, r[4]),
  },
  path_filestat_set_times: {
    args: (r, m) => [fd('fd', r[0]), path(m, r[2], r[3]), u64('atim', r[4]), u64('mtim', r[5]), flags('fst_flags', r[6], Fstflags), lookup(r[1])],
  },
  path_link: {
    args: (r, m) => [fd('old_fd', r[0]), path(m, r[2], r[3], 'old_path'), fd('new_fd', r[4]), path(m, r[5], r[6], 'new_path'), lookup(r[1])],
  },
  path_open: {
    args: (r, m) => [
      fd('fd', r[0]), path(m, r[2], r[3]), flags('oflags', r[4], Oflags), rights('fs_rights_base', r[5]),
      rights('fs_rights_inheriting', r[6]), flags('fdflags', r[7], Fdflags, true), lookup(r[1]),
    ],
    results: (r, m) => [outU32('fd', m, r[8])],
  },
  path_readlink: {
    args: (r, m) => [fd('fd', r[0]), path(m, r[1], r[2]), u32('buf_len', r[4])],
    results: (r, m) => {
      const used = read(m, (mem) => mem.u32(r[5]));
      return used === undefined ? [field('target', null, '?')] : [str('target', m, r[3], used)];
    },
  },
  path_remove_directory: { args: (r, m) => [fd('fd', r[0]), path(m, r[1], r[2])] },
  path_rename: { args: (r, m) => [fd('fd', r[0]), path(m, r[1], r[2], 'old_path'), fd('new_fd', r[3]), path(m, r[4], r[5], 'new_path')] },
  path_symlink: { args: (r, m) => [path(m, r[0], r[1], 'old_path'), fd('fd', r[2]), path(m, r[3], r[4], 'new_path')] },
  path_unlink_file: { args: (r, m) => [fd('fd', r[0]), path(m, r[1], r[2])] },

  poll_oneoff: { args: (r, m) => [subscriptions(m, r[0], r[2])], results: (r, m) => [outU32('nevents', m, r[3])] },
  proc_exit: { args: (r) => [u32('rval', r[0])] },
  proc_raise: { args: (r) => [u32('sig', r[0])] },
  sched_yield: { args: () => [] },
  random_get: { args: (r) => [u32('buf_len', r[1])] },

  sock_accept: { args: (r) => [fd('fd', r[0]), flags('flags', r[1], Fdflags)], results: (r, m) => [outU32('fd', m, r[2])] },
  sock_recv: {
    args: (r, m) => [fd('fd', r[0]), iovecs('ri_data', m, r[1], r[2]), flags('ri_flags', r[3], Riflags, true)],
    results: (r, m) => [outU32('ro_datalen', m, r[4]), flags('ro_flags', read(m, (mem) => mem.u16(r[5])) ?? 0, { RECV_DATA_TRUNCATED: 1 }, true)],
  },
  sock_send: { args: (r, m) => [fd('fd', r[0]), iovecs('si_data', m, r[1], r[2]), u32('si_flags', r[3])], results: (r, m) => [outU32('so_datalen', m, r[4])] },
  sock_shutdown: { args: (r) => [fd('fd', r[0]), flags('how', r[1], Sdflags)] },
};
