// poll_oneoff: subscriptions of every kind, the events they give (nbytes, flags, per-event
// errors, order), malformed input, sleeping on each clock, and waiting on streams.
import { Clockid, Errno, Eventrwflags, Eventtype, Filetype, RIGHTS_DIR, Rights } from '../src/abi/constants';
import { MemoryDirectory } from '../src/backends/memory';
import type { FileStat, Readiness, StreamHandle } from '../src/backends/types';
import { OpenFileDescription } from '../src/descriptors/description';
import { Clocks, defaultHostTime } from '../src/syscalls/clock';
import { EVENTS, OUT, Raw, SUBS } from './helpers/raw-preview1';

const MS = 1_000_000n;
const HANGUP = Eventrwflags.FD_READWRITE_HANGUP;

function files(): MemoryDirectory {
  return MemoryDirectory.from({ 'hello.txt': 'hello, world\n', sub: {} });
}

/** A stream the test controls: ready once `ready` says so, and counts how often it was asked. */
class ControlledStream implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.UNKNOWN;
  probes = 0;
  constructor(private readonly ready: (probe: number) => boolean, private readonly external = true) {}
  read(): number {
    return 0;
  }
  write(data: Uint8Array): number {
    return data.byteLength;
  }
  readReadiness(): Readiness {
    this.probes++;
    return this.ready(this.probes) ? { ready: true, nbytes: 3, hangup: false } : { ready: false, nbytes: 0, hangup: false, external: this.external };
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {}
}

function install(raw: Raw, handle: StreamHandle): number {
  const desc = new OpenFileDescription(handle, handle.filetype, 0, true, true);
  return raw.wasi.table.insert(desc, Rights.FD_READ | Rights.FD_WRITE | Rights.POLL_FD_READWRITE, 0);
}

describe('poll_oneoff: malformed input fails the whole call', () => {
  const raw = new Raw();

  it('no subscriptions is EINVAL (preview1 cannot sleep forever)', () => {
    expect(raw.poll([], 0).errno).toBe(Errno.INVAL);
  });

  it('an unknown tag, clock id or clock flag is EINVAL', () => {
    expect(raw.poll([{ userdata: 1, tag: 3 }]).errno).toBe(Errno.INVAL);
    expect(raw.poll([{ userdata: 1, clock: { id: 4, timeout: 0n } }]).errno).toBe(Errno.INVAL);
    expect(raw.poll([{ userdata: 1, clock: { id: Clockid.MONOTONIC, timeout: 0n, flags: 2 } }]).errno).toBe(Errno.INVAL);
    // ...even next to a subscription that is ready
    expect(raw.poll([{ userdata: 1, write: 1 }, { userdata: 2, tag: 9 }]).errno).toBe(Errno.INVAL);
  });

  it('buffers outside memory are EFAULT, and nevents is untouched', () => {
    const end = raw.memory.buffer.byteLength;
    raw.view.setUint32(OUT, 77, true);
    expect(raw.p1.poll_oneoff(end - 10, EVENTS, 1, OUT)).toBe(Errno.FAULT);
    expect(raw.p1.poll_oneoff(SUBS, end - 10, 1, OUT)).toBe(Errno.FAULT);
    expect(raw.p1.poll_oneoff(SUBS, EVENTS, 1, end - 2)).toBe(Errno.FAULT);
    expect(raw.u32(OUT)).toBe(77);
  });
});

describe('poll_oneoff: events', () => {
  it('reports every ready subscription, in order, with nbytes, flags and its own error', () => {
    const raw = new Raw({ preopens: { '/': files() }, stdin: 'four' });
    const file = raw.open('hello.txt');
    const dir = raw.open('sub', { rights: BigInt(RIGHTS_DIR) });
    const [r, w] = raw.pipe();
    const [emptyR] = raw.pipe();
    expect(raw.write(w, 'abcde').n).toBe(5);
    expect(raw.p1.fd_seek(file, 3n, 0, OUT)).toBe(0);
    const { errno, events } = raw.poll([
      { userdata: 1, clock: { id: Clockid.MONOTONIC, timeout: 0n } },
      { userdata: 2, read: file },
      { userdata: 3, read: r },
      { userdata: 4, read: emptyR },
      { userdata: 5, write: w },
      { userdata: 6, read: 0 },
      { userdata: 7, write: 1 },
      { userdata: 8, read: 1 },
      { userdata: 9, read: 99 },
      { userdata: 10, read: dir },
      { userdata: 11, clock: { id: Clockid.MONOTONIC, timeout: 10_000n * MS } },
      { userdata: 12, write: file },
    ]);
    expect(errno).toBe(Errno.SUCCESS);
    expect(events).toEqual([
      { userdata: 1n, error: Errno.SUCCESS, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 },
      { userdata: 2n, error: Errno.SUCCESS, type: Eventtype.FD_READ, nbytes: 10n, flags: 0 },
      { userdata: 3n, error: Errno.SUCCESS, type: Eventtype.FD_READ, nbytes: 5n, flags: 0 },
      { userdata: 5n, error: Errno.SUCCESS, type: Eventtype.FD_WRITE, nbytes: 1n, flags: 0 },
      { userdata: 6n, error: Errno.SUCCESS, type: Eventtype.FD_READ, nbytes: 4n, flags: 0 },
      { userdata: 7n, error: Errno.SUCCESS, type: Eventtype.FD_WRITE, nbytes: 1n, flags: 0 },
      { userdata: 8n, error: Errno.BADF, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
      { userdata: 9n, error: Errno.BADF, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
      { userdata: 10n, error: Errno.BADF, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
      { userdata: 12n, error: Errno.SUCCESS, type: Eventtype.FD_WRITE, nbytes: 1n, flags: 0 },
    ]);
    expect(raw.u32(OUT)).toBe(10);
  });

  it('a file at its end is ready with nbytes 0 and HANGUP (as wasmtime)', () => {
    const raw = new Raw({ preopens: { '/': files() } });
    const file = raw.open('hello.txt');
    expect(raw.read(file).data).toBe('hello, world\n');
    expect(raw.poll([{ userdata: 1, read: file }]).events).toEqual([
      { userdata: 1n, error: 0, type: Eventtype.FD_READ, nbytes: 0n, flags: HANGUP },
    ]);
  });

  it('a pipe: not ready while empty, ready with what waits, HANGUP without a writer; EPIPE to write without a reader', () => {
    const raw = new Raw();
    const [r, w] = raw.pipe();
    const waitOnPipe = () => raw.poll([{ userdata: 1, read: r }, { userdata: 2, clock: { id: Clockid.MONOTONIC, timeout: 1n } }]).events;
    expect(waitOnPipe()).toEqual([{ userdata: 2n, error: 0, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 }]);
    raw.write(w, 'xyz');
    expect(waitOnPipe()[0]).toEqual({ userdata: 1n, error: 0, type: Eventtype.FD_READ, nbytes: 3n, flags: 0 });
    expect(raw.p1.fd_close(w)).toBe(0);
    expect(waitOnPipe()[0]).toEqual({ userdata: 1n, error: 0, type: Eventtype.FD_READ, nbytes: 3n, flags: HANGUP });
    expect(raw.read(r).data).toBe('xyz');
    expect(waitOnPipe()[0]).toEqual({ userdata: 1n, error: 0, type: Eventtype.FD_READ, nbytes: 0n, flags: HANGUP });

    const [r2, w2] = raw.pipe();
    expect(raw.p1.fd_close(r2)).toBe(0);
    expect(raw.poll([{ userdata: 3, write: w2 }]).events).toEqual([
      { userdata: 3n, error: Errno.PIPE, type: Eventtype.FD_WRITE, nbytes: 0n, flags: HANGUP },
    ]);
  });

  it('a dup of the write end keeps the read end waiting: HANGUP only after the last writer closes', () => {
    const raw = new Raw();
    const [r, w] = raw.pipe();
    expect(raw.wasix.fd_dup(w, OUT)).toBe(0);
    const w2 = raw.u32(OUT);
    expect(raw.p1.fd_close(w)).toBe(0);
    const sub = [{ userdata: 1, read: r }, { userdata: 2, clock: { id: Clockid.MONOTONIC, timeout: 0n } }];
    expect(raw.poll(sub).events.map((e) => e.userdata)).toEqual([2n]);
    expect(raw.p1.fd_close(w2)).toBe(0);
    expect(raw.poll(sub).events[0]).toMatchObject({ userdata: 1n, flags: HANGUP });
  });

  it('rights: a read subscription needs the read right (NOTCAPABLE once dropped), a write-only fd is EBADF', () => {
    const raw = new Raw({ preopens: { '/': files() } });
    const file = raw.open('hello.txt');
    expect(raw.p1.fd_fdstat_set_rights(file, BigInt(Rights.FD_WRITE | Rights.FD_SEEK), 0n)).toBe(0);
    const [, w] = raw.pipe();
    expect(raw.poll([{ userdata: 1, read: file }, { userdata: 2, read: w }]).events.map((e) => e.error)).toEqual([
      Errno.NOTCAPABLE, Errno.BADF,
    ]);
  });

  it('stdin given as a function: readiness is exact (the next chunk is fetched, kept, and read next)', () => {
    const chunks = ['first', 'second!'];
    let calls = 0;
    const raw = new Raw({
      stdin: () => {
        calls++;
        return chunks.shift() ?? null;
      },
    });
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 5n, flags: 0 });
    expect(calls).toBe(1);
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 5n });
    expect(calls).toBe(1);
    expect(raw.read(0).data).toBe('first');
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 7n });
    expect(raw.read(0).data).toBe('second!');
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 0n, flags: HANGUP });
    expect(raw.read(0)).toEqual({ errno: 0, data: '' });
    expect(calls).toBe(3);
  });

  it('stdin given as bytes: what is left, then HANGUP at the end', () => {
    const raw = new Raw({ stdin: 'abc' });
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 3n, flags: 0 });
    raw.read(0);
    expect(raw.poll([{ userdata: 1, read: 0 }]).events[0]).toMatchObject({ nbytes: 0n, flags: HANGUP });
  });
});

describe('poll_oneoff: clocks', () => {
  it('absolute deadlines in the past are due at once, on every clock', () => {
    const raw = new Raw();
    const clocks = new Clocks();
    const subs = [Clockid.REALTIME, Clockid.MONOTONIC, Clockid.PROCESS_CPUTIME_ID, Clockid.THREAD_CPUTIME_ID].map((id) => ({
      userdata: id + 1,
      clock: { id, timeout: clocks.now(id) > 1000n ? clocks.now(id) - 1000n : 0n, abs: true },
    }));
    expect(raw.poll(subs).events.map((e) => [e.userdata, e.type, e.error])).toEqual([
      [1n, Eventtype.CLOCK, 0], [2n, Eventtype.CLOCK, 0], [3n, Eventtype.CLOCK, 0], [4n, Eventtype.CLOCK, 0],
    ]);
  });

  it('only the earliest of several pending clocks fires', () => {
    const raw = new Raw();
    const { events } = raw.poll([
      { userdata: 1, clock: { id: Clockid.MONOTONIC, timeout: 60_000n * MS } },
      { userdata: 2, clock: { id: Clockid.MONOTONIC, timeout: 5n * MS } },
      { userdata: 3, clock: { id: Clockid.REALTIME, timeout: 60_000n * MS } },
    ]);
    expect(events.map((e) => e.userdata)).toEqual([2n]);
  });

  it.each([
    ['MONOTONIC relative', Clockid.MONOTONIC, false],
    ['MONOTONIC absolute', Clockid.MONOTONIC, true],
    ['REALTIME relative', Clockid.REALTIME, false],
    ['REALTIME absolute', Clockid.REALTIME, true],
    ['PROCESS_CPUTIME relative', Clockid.PROCESS_CPUTIME_ID, false],
    ['THREAD_CPUTIME relative', Clockid.THREAD_CPUTIME_ID, false],
    ['PROCESS_CPUTIME absolute', Clockid.PROCESS_CPUTIME_ID, true],
  ])('%s: waits at least the time asked for', (_name, id, abs) => {
    const raw = new Raw();
    const clocks = new Clocks();
    const wait = 20n * MS;
    const t0 = process.hrtime.bigint();
    const timeout = abs ? clocks.now(id) + wait : wait;
    const { errno, events } = raw.poll([{ userdata: 42, clock: { id, timeout, abs } }]);
    expect(errno).toBe(0);
    expect(events).toEqual([{ userdata: 42n, error: 0, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 }]);
    expect(process.hrtime.bigint() - t0).toBeGreaterThanOrEqual(wait);
  });

  it('a 50 ms sleep takes at least 50 ms, less than 500 ms, and almost no CPU', () => {
    const raw = new Raw();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const { events } = raw.poll([{ userdata: 1, clock: { id: Clockid.MONOTONIC, timeout: 50n * MS } }]);
    const elapsed = process.hrtime.bigint() - t0;
    const cpu = process.cpuUsage(cpu0);
    expect(events).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(50n * MS);
    expect(elapsed).toBeLessThan(500n * MS);
    // Sleeping in Atomics.wait, not spinning: far less CPU than the 50 ms slept.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(25);
  });
});

describe('poll_oneoff: waiting on streams', () => {
  it('a stream another thread may feed is re-checked until it is ready', () => {
    const raw = new Raw();
    const stream = new ControlledStream((probe) => probe >= 4);
    const fd = install(raw, stream);
    const { events } = raw.poll([{ userdata: 5, read: fd }]);
    expect(events).toEqual([{ userdata: 5n, error: 0, type: Eventtype.FD_READ, nbytes: 3n, flags: 0 }]);
    expect(stream.probes).toBe(4);
  });

  it('...and a clock still ends the wait if it never is', () => {
    const raw = new Raw();
    const stream = new ControlledStream(() => false);
    const fd = install(raw, stream);
    const { events } = raw.poll([{ userdata: 5, read: fd }, { userdata: 6, clock: { id: Clockid.MONOTONIC, timeout: 30n * MS } }]);
    expect(events.map((e) => e.userdata)).toEqual([6n]);
    expect(stream.probes).toBeGreaterThan(2);
  });

  it('nothing could ever become ready (no clock; an empty pipe this guest writes): DEADLK on each event, at once', () => {
    const raw = new Raw();
    const [r1] = raw.pipe();
    const [r2] = raw.pipe();
    const stream = new ControlledStream(() => false, false);
    const fd = install(raw, stream);
    const { errno, events } = raw.poll([{ userdata: 1, read: r1 }, { userdata: 2, read: r2 }, { userdata: 3, read: fd }]);
    expect(errno).toBe(0);
    expect(events).toEqual([
      { userdata: 1n, error: Errno.DEADLK, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
      { userdata: 2n, error: Errno.DEADLK, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
      { userdata: 3n, error: Errno.DEADLK, type: Eventtype.FD_READ, nbytes: 0n, flags: 0 },
    ]);
    expect(stream.probes).toBe(1);
  });
});

describe('waiting where the thread may not block (a browser main thread)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('spins on the clock instead of Atomics.wait, and still waits long enough', () => {
    const wait = jest.spyOn(Atomics, 'wait');
    const clocks = new Clocks({ ...defaultHostTime(), blocking: false });
    expect(clocks.canBlock()).toBe(false);
    const t0 = process.hrtime.bigint();
    clocks.sleep(5n * MS);
    expect(process.hrtime.bigint() - t0).toBeGreaterThanOrEqual(5n * MS);
    expect(wait).not.toHaveBeenCalled();
  });

  it('blocks in Atomics.wait where it may (Node)', () => {
    const wait = jest.spyOn(Atomics, 'wait');
    const clocks = new Clocks();
    expect(clocks.canBlock()).toBe(true);
    clocks.sleep(1n * MS);
    expect(wait).toHaveBeenCalled();
  });
});
