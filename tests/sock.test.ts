// sock_accept, sock_recv, sock_send, sock_shutdown: ENOTSOCK on anything that is not a
// socket, EBADF on a descriptor that is not open, EINVAL for malformed flags first (the
// order wasmtime's argument decoding gives), never an exception; and a socket handle an
// embedder installs is really driven.
import { Errno, Fdflags, Filetype, RIGHTS_DIR, RIGHTS_SOCKET, Riflags, Sdflags } from '../src/abi/constants';
import { fail } from '../src/abi/errors';
import { MemoryDirectory } from '../src/backends/memory';
import type { FileStat, StreamHandle } from '../src/backends/types';
import { OpenFileDescription } from '../src/descriptors/description';
import { OUT, Raw, SCRATCH } from './helpers/raw-preview1';

const IOV = 256;

/** Points one iovec at SCRATCH (len bytes) and calls the socket function. */
function calls(raw: Raw) {
  const iov = (len: number) => {
    raw.view.setUint32(IOV, SCRATCH, true);
    raw.view.setUint32(IOV + 4, len, true);
  };
  return {
    accept: (fd: number, flags = 0) => raw.p1.sock_accept(fd, flags, OUT),
    recv: (fd: number, flags = 0, len = 16) => (iov(len), raw.p1.sock_recv(fd, IOV, 1, flags, OUT, OUT + 4)),
    send: (fd: number, data = 'hi', flags = 0) => {
      raw.bytes.set(new TextEncoder().encode(data), SCRATCH);
      iov(data.length);
      return raw.p1.sock_send(fd, IOV, 1, flags, OUT);
    },
    shutdown: (fd: number, how = Sdflags.RD | Sdflags.WR) => raw.p1.sock_shutdown(fd, how),
  };
}

describe('socket calls on things that are not sockets', () => {
  const raw = new Raw({ preopens: { '/': MemoryDirectory.from({ 'f.txt': 'data' }) }, stdin: 'in' });
  const file = raw.open('f.txt');
  const dir = raw.open('.', { rights: BigInt(RIGHTS_DIR) });
  const [r, w] = raw.pipe();
  const sock = calls(raw);
  const notSockets: [string, number][] = [['stdin', 0], ['stdout', 1], ['stderr', 2], ['a preopen', 3], ['a file', file], ['a directory', dir], ['a pipe read end', r], ['a pipe write end', w]];

  it.each(notSockets)('%s: ENOTSOCK from all four', (_name, fd) => {
    expect([sock.accept(fd), sock.recv(fd), sock.send(fd), sock.shutdown(fd)]).toEqual([
      Errno.NOTSOCK, Errno.NOTSOCK, Errno.NOTSOCK, Errno.NOTSOCK,
    ]);
  });

  it.each([['never opened', 57], ['far out of range', 0x7fffffff], ['negative as i32', -1]])('a descriptor %s: EBADF', (_name, fd) => {
    expect([sock.accept(fd), sock.recv(fd), sock.send(fd), sock.shutdown(fd)]).toEqual([
      Errno.BADF, Errno.BADF, Errno.BADF, Errno.BADF,
    ]);
  });

  it('a closed descriptor: EBADF', () => {
    const fd = raw.open('f.txt');
    expect(raw.p1.fd_close(fd)).toBe(0);
    expect([sock.accept(fd), sock.recv(fd), sock.send(fd), sock.shutdown(fd)]).toEqual([
      Errno.BADF, Errno.BADF, Errno.BADF, Errno.BADF,
    ]);
  });

  it('malformed flags are EINVAL before the descriptor is looked at', () => {
    for (const fd of [1, 57]) {
      expect(sock.accept(fd, 0x20)).toBe(Errno.INVAL);
      expect(sock.recv(fd, 4)).toBe(Errno.INVAL);
      expect(sock.shutdown(fd, 4)).toBe(Errno.INVAL);
    }
    // siflags has no bits at all defined: any value passes to the descriptor check.
    expect(sock.send(1, 'x', 0xffff)).toBe(Errno.NOTSOCK);
  });

  it('nothing was consumed or written, and the descriptors still work', () => {
    expect(raw.read(0).data).toBe('in');
    expect(raw.read(file).data).toBe('data');
    expect(raw.write(w, 'ok').n).toBe(2);
    expect(raw.read(r).data).toBe('ok');
  });
});

/** An in-memory stream socket an embedder could install: inbound bytes queued, outbound collected. */
class FakeSocket implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.SOCKET_STREAM;
  readonly socket = true;
  sent = '';
  shutdowns: number[] = [];
  constructor(private inbound: string[] = [], private readonly backlog: FakeSocket[] = []) {}
  read(into: Uint8Array): number {
    const next = this.inbound.shift();
    if (next === undefined) return 0;
    const bytes = new TextEncoder().encode(next);
    into.set(bytes.subarray(0, into.byteLength));
    return Math.min(bytes.byteLength, into.byteLength);
  }
  write(data: Uint8Array): number {
    this.sent += new TextDecoder().decode(data);
    return data.byteLength;
  }
  shutdown(how: number): void {
    this.shutdowns.push(how);
  }
  accept(): StreamHandle {
    return this.backlog.shift() ?? fail(Errno.AGAIN);
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {}
}

describe('a socket installed by the embedder', () => {
  function withSocket(s: FakeSocket): { raw: Raw; fd: number } {
    const raw = new Raw();
    const fd = raw.wasi.table.insert(new OpenFileDescription(s, s.filetype, 0, true, true), RIGHTS_SOCKET, 0);
    return { raw, fd };
  }

  it('sock_send and sock_recv move the bytes; RECV_WAITALL keeps reading; PEEK is NOTSUP', () => {
    const s = new FakeSocket(['ab', 'cd', 'ef']);
    const { raw, fd } = withSocket(s);
    const sock = calls(raw);
    expect(sock.send(fd, 'hello')).toBe(0);
    expect(raw.u32(OUT)).toBe(5);
    expect(s.sent).toBe('hello');
    expect(sock.recv(fd, 0, 16)).toBe(0);
    expect(raw.u32(OUT)).toBe(2);
    expect(raw.view.getUint16(OUT + 4, true)).toBe(0);
    expect(sock.recv(fd, Riflags.RECV_WAITALL, 4)).toBe(0);
    expect(raw.u32(OUT)).toBe(4);
    expect(new TextDecoder().decode(raw.bytes.slice(SCRATCH, SCRATCH + 4))).toBe('cdef');
    expect(sock.recv(fd, Riflags.RECV_PEEK)).toBe(Errno.NOTSUP);
  });

  it('sock_shutdown passes RD/WR on; zero is EINVAL', () => {
    const s = new FakeSocket();
    const { raw, fd } = withSocket(s);
    const sock = calls(raw);
    expect(sock.shutdown(fd, Sdflags.WR)).toBe(0);
    expect(sock.shutdown(fd, Sdflags.RD | Sdflags.WR)).toBe(0);
    expect(sock.shutdown(fd, 0)).toBe(Errno.INVAL);
    expect(s.shutdowns).toEqual([Sdflags.WR, Sdflags.RD | Sdflags.WR]);
  });

  it('sock_accept installs the next connection at the lowest free fd, with NONBLOCK if asked; AGAIN when none waits', () => {
    const conn = new FakeSocket(['from peer']);
    const { raw, fd } = withSocket(new FakeSocket([], [conn]));
    const sock = calls(raw);
    expect(sock.accept(fd, Fdflags.NONBLOCK)).toBe(0);
    const connFd = raw.u32(OUT);
    expect(connFd).toBe(fd + 1);
    expect(raw.p1.fd_fdstat_get(connFd, SCRATCH)).toBe(0);
    expect(raw.bytes[SCRATCH]).toBe(Filetype.SOCKET_STREAM);
    expect(raw.view.getUint16(SCRATCH + 2, true)).toBe(Fdflags.NONBLOCK);
    expect(raw.read(connFd).data).toBe('from peer');
    expect(sock.accept(fd)).toBe(Errno.AGAIN);
    expect(sock.accept(fd, Fdflags.APPEND)).toBe(Errno.INVAL);
  });

  it('a socket without accept() answers NOTSUP', () => {
    const s = new FakeSocket();
    (s as { accept?: unknown }).accept = undefined;
    const { raw, fd } = withSocket(s);
    expect(calls(raw).accept(fd)).toBe(Errno.NOTSUP);
  });
});
