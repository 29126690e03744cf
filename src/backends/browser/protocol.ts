/**
 * The channel between an OPFSDirectory (in the worker that runs the program) and its OPFS
 * server (a second dedicated worker): one SharedArrayBuffer holding a header of Int32 and
 * Float64 slots, then a data area. The client writes a request, flips STATE to REQUEST,
 * notifies and blocks in Atomics.wait; the server (blocked in Atomics.wait too, between
 * requests) does the work, writes the answer, flips STATE to RESPONSE and notifies. Neither
 * side spins before it sleeps: on a busy machine a spinning side takes the core the other
 * needs (measured: a 16-byte read 65-106 µs spinning, 15 µs not).
 *
 * The server is started from its own source text, so it receives these numbers as plain
 * data (JSON) rather than importing them.
 */
export const PROTOCOL = {
  // Int32 slots
  STATE: 0, OP: 1, A: 2, B: 3, C: 4, LEN: 5, ERRNO: 6, RLEN: 7, R0: 8, R1: 9,
  // Float64 slots (index into a Float64Array over the same buffer: byte offset 8 * index)
  F_POS: 8, F_NUM: 9, F_TIME: 10,
  HEADER_BYTES: 128,
  // STATE values
  IDLE: 0, REQUEST: 1, RESPONSE: 2,
  // operations
  LOOKUP: 1, LIST: 2, STAT: 3, OPEN: 4, READ: 5, WRITE: 6, FSTAT: 7, TRUNCATE: 8, FLUSH: 9,
  CLOSE: 10, MKDIR: 11, RMDIR: 12, UNLINK: 13, RENAME: 14, STATS: 15, UNMOUNT: 16,
  // node kinds
  FILE: 1, DIR: 2,
  // OPEN flags
  O_CREATE: 1, O_EXCL: 2, O_TRUNC: 4,
  /** Where unlinked-but-open files wait for their last close, at the top of the origin's OPFS. */
  TRASH: '.refwasi-trash',
  // the WASI errnos the server answers with
  E: {
    ACCES: 2, BADF: 8, BUSY: 10, EXIST: 20, INVAL: 28, IO: 29, ISDIR: 31, NOENT: 44, NOSPC: 51,
    NOTDIR: 54, NOTEMPTY: 55, PERM: 63,
  },
} as const;

export type Protocol = typeof PROTOCOL;

/** Counts the server keeps, for tests and for anyone who wants to see the handles. */
export interface OPFSStats {
  /** createSyncAccessHandle calls and close() calls on access handles, all reasons together. */
  created: number;
  closed: number;
  /** A file's access handle made for its first open description / closed after its last one. */
  acquired: number;
  released: number;
  /** An open file's access handle closed and made again around a move (unlink or rename while open). */
  swaps: number;
  /** Access handles open now. */
  open: number;
  /** Open file descriptions opened / closed through this mount. */
  descriptionsOpened: number;
  descriptionsClosed: number;
  /** Descriptions open now, and how many of them share an access handle with another. */
  descriptionsOpen: number;
  /** CLOSE of a description that was already closed (0 unless refwasi has a bug). */
  doubleCloses: number;
  /** Handles still open at unmount, closed then. */
  closedAtUnmount: number;
}
