// The sandbox against a concurrent adversary: a separate host process swaps a directory
// inside the preopen for a symlink to a directory outside it, with atomic renames, as fast
// as it can, while the guest runs one path operation after another through the real
// preview1 syscalls, both through the preopen ("d/name") and relative to a directory fd
// opened on "d". Whatever the interleaving, the guest must never see anything of the
// outside (file contents, link targets, names, sizes) and nothing outside may change
// (the outside tree is hashed before and after, metadata included).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno } from '../src/abi/constants';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { addressing, dirFdCounters } from '../src/backends/node/host-dir';
import { Guest } from './helpers/guest';

if (process.platform !== 'linux') throw new Error('the race suite needs Linux (the fd-addressed mode)');
// RACE_PATH_MODE=1 runs the suite against the path-addressed mode (what macOS and Windows
// get), to see the race it exists to catch: most operations there reach outside in a second.
if (process.env.RACE_PATH_MODE) addressing.byFd = false;

/** How long the guest keeps racing the swapper for each operation. */
const RACE_MS = 1200;
const MARKER = 'OUTSIDE-MARKER';
const OUTSIDE_SIZE = 777;

/**
 * The adversary: swaps sandbox/d (a real directory) for a symlink to the outside directory
 * and back, each way with two atomic renames, alternating a relative target that climbs out
 * and an absolute one, until told to stop (or its own deadline). Prints its swap count.
 */
const SWAPPER = `
const fs = require('fs');
const [sandbox, outside, ms] = process.argv.slice(1);
const d = sandbox + '/d', real = sandbox + '/d.real', rel = sandbox + '/d.rel', abs = sandbox + '/d.abs';
fs.symlinkSync('../outside', rel);
fs.symlinkSync(outside, abs);
let swaps = 0, stop = false;
process.on('SIGTERM', () => { stop = true; });
process.stdout.write('ready\\n');
const end = Date.now() + Number(ms);
function loop() {
  for (let i = 0; i < 200 && !stop && Date.now() < end; i++) {
    const link = swaps % 2 ? abs : rel;
    try { fs.renameSync(d, real); fs.renameSync(link, d); fs.renameSync(d, link); fs.renameSync(real, d); swaps++; } catch (e) { process.stderr.write(String(e)); process.exit(2); }
  }
  if (stop || Date.now() >= end) { fs.unlinkSync(rel); fs.unlinkSync(abs); process.stdout.write('swaps ' + swaps + '\\n'); process.exit(0); }
  setImmediate(loop);
}
loop();
`;

interface Swapper {
  child: ChildProcess;
  done: Promise<{ code: number | null; swaps: number; stderr: string }>;
}

function startSwapper(sandbox: string, outside: string): Promise<Swapper> {
  const child = spawn(process.execPath, ['-e', SWAPPER, sandbox, outside, String(RACE_MS * 3)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<{ code: number | null; swaps: number; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, swaps: Number(/swaps (\d+)/.exec(stdout)?.[1] ?? 0), stderr }));
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c;
      if (stdout.startsWith('ready')) resolve({ child, done });
    });
    child.on('error', reject);
    child.on('close', () => reject(new Error(`the swapper ended before it was ready: ${stderr}`)));
  });
}

/** Everything under `dir`: names, types, sizes, link counts, mtimes, contents and link targets. */
function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full, { bigint: true });
    h.update(`${rel}\0${st.mode}\0${st.size}\0${st.nlink}\0${st.mtimeNs}\0${st.ino}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(full));
    else if (st.isFile()) h.update(fs.readFileSync(full));
    else if (st.isDirectory()) for (const name of fs.readdirSync(full).sort()) walk(path.join(rel, name));
  };
  walk('');
  return h.digest('hex');
}

/** The entries every operation may meet, the same names inside d and outside. */
function populate(dir: string, outside: boolean): void {
  const text = (inside: string) => (outside ? `${MARKER} ${inside}`.padEnd(OUTSIDE_SIZE, '!') : inside);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'f'), text('f'));
  fs.writeFileSync(path.join(dir, 'victim'), text('victim'));
  fs.writeFileSync(path.join(dir, 'a'), text('a'));
  fs.symlinkSync(outside ? `${MARKER}-link` : 'f', path.join(dir, 'l'));
  fs.mkdirSync(path.join(dir, 'rmd'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'g'), text('g'));
  if (outside) fs.writeFileSync(path.join(dir, `${MARKER}-only`), text('only'));
  if (outside) fs.writeFileSync(path.join(dir, 'sub', `${MARKER}-only`), text('only'));
}

/**
 * One step of each operation, given where to aim (`at`: a directory fd and a prefix, either
 * the preopen and "d/", or a fd on d and ""). Returns a string the guest saw, for the check
 * that it never holds outside content; restores what it changed where it can.
 */
type Step = (g: Guest, dirfd: number, prefix: string) => string;

const STEPS: Record<string, Step> = {
  open(g, dirfd, p) {
    const r = g.open(`${p}f`, { dirfd });
    if (r.errno !== Errno.SUCCESS) return '';
    const text = g.read(r.value).value;
    g.close(r.value);
    const c = g.create(`${p}created`, { dirfd, write: true });
    if (c.errno === Errno.SUCCESS) {
      g.close(c.value);
      g.unlink(`${p}created`, dirfd);
    }
    return text;
  },
  stat(g, dirfd, p) {
    const r = g.stat(`${p}f`, false, dirfd);
    const s = g.stat(`${p}sub/g`, false, dirfd);
    return [r, s].map((x) => (x.errno === Errno.SUCCESS && x.value.size === BigInt(OUTSIDE_SIZE) ? MARKER : '')).join('');
  },
  set_times(g, dirfd, p) {
    g.setTimes(`${p}f`, 1_000_000_000n, 2_000_000_000n, false, dirfd);
    g.setTimes(`${p}sub`, 1_000_000_000n, 2_000_000_000n, false, dirfd);
    g.setTimes(`${p}sub/g`, 1_000_000_000n, 2_000_000_000n, false, dirfd);
    return '';
  },
  readlink(g, dirfd, p) {
    const r = g.readlink(`${p}l`, dirfd);
    return r.errno === Errno.SUCCESS ? r.value : '';
  },
  mkdir(g, dirfd, p) {
    if (g.mkdir(`${p}made`, dirfd) === Errno.SUCCESS) g.rmdir(`${p}made`, dirfd);
    return '';
  },
  rmdir(g, dirfd, p) {
    if (g.rmdir(`${p}rmd`, dirfd) === Errno.SUCCESS) g.mkdir(`${p}rmd`, dirfd);
    return '';
  },
  unlink(g, dirfd, p) {
    if (g.unlink(`${p}victim`, dirfd) === Errno.SUCCESS) {
      const c = g.create(`${p}victim`, { dirfd, write: true });
      if (c.errno === Errno.SUCCESS) {
        g.write(c.value, 'victim');
        g.close(c.value);
      }
    }
    return '';
  },
  symlink(g, dirfd, p) {
    if (g.symlink('f', `${p}sym`, dirfd) === Errno.SUCCESS) g.unlink(`${p}sym`, dirfd);
    return '';
  },
  link(g, dirfd, p) {
    if (g.link(`${p}f`, `${p}hard`, false, dirfd, dirfd) === Errno.SUCCESS) g.unlink(`${p}hard`, dirfd);
    // Out of d into the preopen's root: an escaped link would pull an outside file in.
    if (g.link(`${p}a`, 'pulled', false, dirfd, 3) === Errno.SUCCESS) {
      const r = g.open('pulled');
      const text = r.errno === Errno.SUCCESS ? g.read(r.value).value : '';
      if (r.errno === Errno.SUCCESS) g.close(r.value);
      g.unlink('pulled');
      return text;
    }
    return '';
  },
  rename(g, dirfd, p) {
    if (g.rename(`${p}a`, `${p}b`, dirfd, dirfd) === Errno.SUCCESS) g.rename(`${p}b`, `${p}a`, dirfd, dirfd);
    // Out of d and back: an escaped rename would move an outside file in, or one of ours out.
    let seen = '';
    if (g.rename(`${p}a`, 'moved-in', dirfd, 3) === Errno.SUCCESS) {
      const r = g.open('moved-in');
      if (r.errno === Errno.SUCCESS) {
        seen = g.read(r.value).value;
        g.close(r.value);
      }
      g.rename('moved-in', `${p}a`, 3, dirfd);
    }
    return seen;
  },
  readdir(g, dirfd, p) {
    if (p === '') return g.readdir(dirfd).value.map((e) => e.name).join(' ');
    const r = g.openDir(`${p}sub`, dirfd);
    if (r.errno !== Errno.SUCCESS) return '';
    const names = g.readdir(r.value).value.map((e) => e.name).join(' ');
    g.close(r.value);
    return names;
  },
};

let world: string;
let sandbox: string;
let outside: string;

beforeEach(() => {
  world = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-racesuite-')));
  sandbox = path.join(world, 'sandbox');
  outside = path.join(world, 'outside');
  populate(path.join(sandbox, 'd'), false);
  populate(outside, true);
});

afterEach(() => fs.rmSync(world, { recursive: true, force: true }));

describe('a host process swapping a directory for a symlink to the outside, as fast as it can', () => {
  it.each(Object.keys(STEPS))('%s: the guest never sees the outside and nothing outside changes', async (name) => {
    const step = STEPS[name];
    const before = hashTree(outside);
    const files = { ...NodeFileHandle.counters };
    const dirs = { ...dirFdCounters };
    const g = Guest.over(new NodeDirectory(sandbox));
    const swapper = await startSwapper(sandbox, outside);
    const seen: string[] = [];
    let steps = 0;
    let viaFd = 0;
    try {
      const end = Date.now() + RACE_MS;
      while (Date.now() < end) {
        // Through the preopen: every step walks the name "d" while it is being swapped.
        seen.push(step(g, 3, 'd/'));
        // Relative to a directory fd on d: opened when d was a directory, it stays that
        // directory whatever the name "d" holds afterwards.
        const d = g.openDir('d');
        if (d.errno === Errno.SUCCESS) {
          seen.push(step(g, d.value, ''));
          g.close(d.value);
          viaFd++;
        }
        steps++;
      }
    } finally {
      swapper.child.kill('SIGTERM');
    }
    const { code, swaps, stderr } = await swapper.done;
    g.end();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // The race really ran: the swapper kept swapping while the guest kept stepping.
    expect(swaps).toBeGreaterThan(0);
    expect(steps).toBeGreaterThan(0);
    expect(viaFd).toBeGreaterThan(0);
    expect(seen.filter((s) => s.includes(MARKER))).toEqual([]);
    expect(Buffer.from(g.bytes).includes(MARKER)).toBe(false);
    expect(hashTree(outside)).toBe(before);
    // Every host fd opened during the race was closed, once.
    const c = NodeFileHandle.counters;
    expect(c.closed - files.closed).toBe(c.opened - files.opened);
    expect(c.doubleCloseAttempts).toBe(files.doubleCloseAttempts);
    expect(dirFdCounters.closed - dirs.closed).toBe(dirFdCounters.opened - dirs.opened);
  });
});
