// How the trace decodes the dup extension (wasix_32v1).
import { DescriptorFlags } from '../abi/constants';
import { fd, field, flags, outU32, read, u32 } from './fields';
import type { Decoder } from './preview1';

export const wasixDecoders: Record<string, Decoder> = {
  fd_dup: { args: (r) => [fd('fd', r[0])], results: (r, m) => [outU32('fd', m, r[1])] },
  fd_dup2: { args: (r) => [fd('fd', r[0]), u32('min_result_fd', r[1]), u32('cloexec', r[2])], results: (r, m) => [outU32('fd', m, r[3])] },
  fd_fdflags_get: {
    args: (r) => [fd('fd', r[0])],
    results: (r, m) => {
      const v = read(m, (mem) => mem.u16(r[1]));
      return v === undefined ? [field('flags', null, '?')] : [flags('flags', v, DescriptorFlags)];
    },
  },
  fd_fdflags_set: { args: (r) => [fd('fd', r[0]), flags('flags', r[1], DescriptorFlags)] },
  fd_pipe: { args: () => [], results: (r, m) => [outU32('read_fd', m, r[0]), outU32('write_fd', m, r[1])] },
};
