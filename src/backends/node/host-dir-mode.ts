import * as hostFs from 'node:fs';

/**
 * Whether directories are addressed by a host fd they hold open (Linux: `/proc/self/fd/N/name`
 * names `name` inside the directory fd N holds, wherever it is now, like `*at(N, name)`), or
 * by their host path, checked before use (everywhere else). Tests switch it to run both.
 */
export const addressing = {
  byFd: process.platform === 'linux' && hostFs.existsSync('/proc/self/fd'),
};

/** Host directory fds opened and closed, so tests can prove none leaks or closes twice. */
export const dirFdCounters = { opened: 0, closed: 0 };
