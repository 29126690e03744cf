// The sandbox escape suite, over any DirectoryInode backend.
//
// A "world" directory holds a secret directory and a sandbox directory side by side; only the
// sandbox is preopened. Every attempt goes through the real preview1 syscalls (path_open,
// path_symlink, path_link, path_rename, ...) of a WASI object with a real WebAssembly.Memory,
// and must be refused with the errno wasmtime gives. After each attempt the runner checks
// that nothing outside the sandbox changed (entries, contents, sizes, link counts, mtimes),
// that no byte of a secret file ever reached guest memory, and that the backend's own leak
// checks pass once the run is over.
//
// The attempts and `runEscapeAttempt` use no test framework, so a browser runner can drive
// them too; `describeEscapeSuite` is the jest front end.
import { Errno, Fdflags, Filetype, Oflags } from '../../src/abi/constants';
import type { DirectoryInode, Inode } from '../../src/backends/types';
import { Guest } from './guest';

/** What a backend provides to be tested. */
export interface EscapeWorld {
  /** An empty directory. The suite builds `secret/`, `sandbox/` and `top-secret.txt` in it. */
  root: DirectoryInode;
  /**
   * The host's absolute path of `root`, so absolute symlink targets name the real secret
   * (for a memory filesystem, '' makes them '/secret/...').
   */
  absolutePath: string;
  /** The sandbox as the embedder would preopen it (default: `root.lookup('sandbox')`). */
  preopen?(): DirectoryInode;
  /** Everything outside the sandbox, read independently of the backend (default: through `root`). */
  snapshotOutside?(): Map<string, string>;
  /** Problems found once a run is over (leaked or doubly closed host handles). */
  leaks?(): string[];
  dispose?(): void | Promise<void>;
}

export type EscapeWorldFactory = () => EscapeWorld | Promise<EscapeWorld>;

/** Bytes every secret file starts with; none may ever appear in guest memory. */
export const SECRET_MARKER = 'SECRET-MARKER';

export interface AttemptContext {
  g: Guest;
  /** Host absolute path of the world root. */
  abs: string;
  /** `got` must be the errno `want`. */
  errno(label: string, got: Errno, want: Errno): void;
  /** `got` must deep-equal `want` (compared as JSON). */
  eq(label: string, got: unknown, want: unknown): void;
  /** `got` must deep-equal one of `wants`: where POSIX and a path-addressed backend may differ, but both stay inside. */
  oneOf(label: string, got: unknown, wants: unknown[]): void;
}

export interface EscapeAttempt {
  name: string;
  run(c: AttemptContext): void;
}

const enc = new TextEncoder();

/* ---------- the world ---------- */

function writeFile(dir: DirectoryInode, name: string, text: string): void {
  const h = dir.openFile(name, { read: false, write: true, create: true, exclusive: true, truncate: false });
  try {
    h.write(enc.encode(text), 0);
  } finally {
    h.close();
  }
}

function subdir(dir: DirectoryInode, name: string): DirectoryInode {
  const d = dir.lookup(name);
  if (d?.kind !== 'directory') throw new Error(`world: ${name} is not a directory`);
  return d;
}

/**
 * world/
 *   top-secret.txt                  secret
 *   secret/secret.txt               secret
 *   secret/dir/inner.txt            secret
 *   sandbox/                        the preopen
 *     file.txt  sub/  sub/deeper/leaf.txt
 *     sub/to-parent -> ..           (inside: the sandbox root)
 *     sub/up2 -> ../..              (outside)
 *     chain-a -> sub/chain-b -> ../chain-c -> ../secret
 *     abs-file, abs-dir             absolute targets naming the real secret
 *     up-file, up-dir               ../secret/...
 *     via-sandbox -> ../sandbox/file.txt   (out and back in)
 *     dangling-out, dangling-abs    targets outside that do not exist yet
 *     self -> .   parent -> ..   loop -> loop   ping <-> pong
 */
export function buildWorld(root: DirectoryInode, abs: string): void {
  writeFile(root, 'top-secret.txt', `${SECRET_MARKER}-top\n`);
  root.mkdir('secret');
  const secret = subdir(root, 'secret');
  writeFile(secret, 'secret.txt', `${SECRET_MARKER}-deep\n`);
  secret.mkdir('dir');
  writeFile(subdir(secret, 'dir'), 'inner.txt', `${SECRET_MARKER}-inner\n`);

  root.mkdir('sandbox');
  const sb = subdir(root, 'sandbox');
  writeFile(sb, 'file.txt', 'inside\n');
  sb.mkdir('sub');
  const sub = subdir(sb, 'sub');
  sub.mkdir('deeper');
  writeFile(subdir(sub, 'deeper'), 'leaf.txt', 'leaf\n');
  sub.symlink('..', 'to-parent');
  sub.symlink('../..', 'up2');
  sub.symlink('../chain-c', 'chain-b');
  sb.symlink('sub/chain-b', 'chain-a');
  sb.symlink('../secret', 'chain-c');
  sb.symlink(`${abs}/secret/secret.txt`, 'abs-file');
  sb.symlink(`${abs}/secret`, 'abs-dir');
  sb.symlink('../secret/secret.txt', 'up-file');
  sb.symlink('../secret', 'up-dir');
  sb.symlink('../sandbox/file.txt', 'via-sandbox');
  sb.symlink('../secret/created.txt', 'dangling-out');
  sb.symlink(`${abs}/secret/created-abs.txt`, 'dangling-abs');
  sb.symlink('.', 'self');
  sb.symlink('..', 'parent');
  sb.symlink('loop', 'loop');
  sb.symlink('pong', 'ping');
  sb.symlink('ping', 'pong');
}

/** Everything outside the sandbox, as path -> description, read through the backend. */
export function snapshotThrough(root: DirectoryInode): Map<string, string> {
  const out = new Map<string, string>();
  const describe = (path: string, inode: Inode, parent: DirectoryInode, name: string): void => {
    const st = inode.stat();
    const meta = `type=${st.filetype} size=${st.size} nlink=${st.nlink} mtim=${st.mtim} ino=${st.ino}`;
    if (inode.kind === 'symlink') {
      out.set(path, `${meta} -> ${inode.readlink()}`);
    } else if (inode.kind === 'file') {
      const h = parent.openFile(name, { read: true, write: false, create: false, exclusive: false, truncate: false });
      try {
        const buf = new Uint8Array(Number(st.size));
        h.read(buf, 0);
        out.set(path, `${meta} content=${JSON.stringify(new TextDecoder().decode(buf))}`);
      } finally {
        h.close();
      }
    } else {
      out.set(path, `${meta} entries=${inode.list().map((e) => e.name).join(',')}`);
      for (const e of inode.list()) {
        if (path === '' && e.name === 'sandbox') continue;
        describe(`${path}/${e.name}`, inode.lookup(e.name)!, inode, e.name);
      }
    }
  };
  describe('', root, root, '.');
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [k, v] of before) {
    if (!after.has(k)) problems.push(`outside: ${k || '/'} disappeared`);
    else if (after.get(k) !== v) problems.push(`outside: ${k || '/'} changed: ${v}  =>  ${after.get(k)}`);
  }
  for (const [k, v] of after) if (!before.has(k)) problems.push(`outside: ${k} appeared: ${v}`);
  return problems;
}

function containsMarker(memory: Uint8Array): boolean {
  const marker = enc.encode(SECRET_MARKER);
  outer: for (let i = memory.indexOf(marker[0]); i !== -1 && i <= memory.length - marker.length; i = memory.indexOf(marker[0], i + 1)) {
    for (let j = 1; j < marker.length; j++) if (memory[i + j] !== marker[j]) continue outer;
    return true;
  }
  return false;
}

/* ---------- the attempts ---------- */

const { PERM, LOOP, NOENT, NOTDIR, EXIST, INVAL, ILSEQ, NAMETOOLONG, SUCCESS } = Errno;

/** Opens `path` and reads it: the text, or the errno as its name. */
function readAll(g: Guest, path: string, dirfd = 3): string {
  const r = g.open(path, { dirfd });
  if (r.errno !== SUCCESS) return `errno ${Errno[r.errno]}`;
  const data = g.read(r.value);
  g.close(r.value);
  return data.errno === SUCCESS ? data.value : `read errno ${Errno[data.errno]}`;
}

export const ESCAPE_ATTEMPTS: EscapeAttempt[] = [
  {
    name: 'a plain ".." from the preopen is refused, for open, stat and readdir',
    run(c) {
      c.errno('open ..', c.g.openDir('..').errno, PERM);
      c.errno('open ../', c.g.openDir('../').errno, PERM);
      c.errno('stat ..', c.g.stat('..').errno, PERM);
      c.eq('positive control: . opens', c.g.openDir('.').errno, SUCCESS);
    },
  },
  {
    name: '../secret/secret.txt: read, write, truncate and stat are refused',
    run(c) {
      c.errno('open', c.g.open('../secret/secret.txt').errno, PERM);
      c.errno('open O_TRUNC', c.g.open('../secret/secret.txt', { oflags: Oflags.TRUNC, write: true }).errno, PERM);
      c.errno('open APPEND', c.g.open('../secret/secret.txt', { fdflags: Fdflags.APPEND, write: true }).errno, PERM);
      c.errno('stat', c.g.stat('../secret/secret.txt').errno, PERM);
      c.errno('stat nofollow', c.g.stat('../top-secret.txt', false).errno, PERM);
    },
  },
  {
    name: '".." in an earlier component climbs above the root only after going down: still refused',
    run(c) {
      c.errno('sub/../../secret/secret.txt', c.g.open('sub/../../secret/secret.txt').errno, PERM);
      c.errno('sub/deeper/../../../top-secret.txt', c.g.open('sub/deeper/../../../top-secret.txt').errno, PERM);
      c.errno('sub/./../.././secret', c.g.openDir('sub/./../.././secret').errno, PERM);
      c.eq('positive control: sub/deeper/../../file.txt', readAll(c.g, 'sub/deeper/../../file.txt'), 'inside\n');
    },
  },
  {
    name: 'leaving and coming straight back in ("../sandbox/...") is refused, as cap-std does',
    run(c) {
      c.errno('../sandbox/file.txt', c.g.open('../sandbox/file.txt').errno, PERM);
      c.errno('./../sandbox', c.g.openDir('./../sandbox').errno, PERM);
    },
  },
  {
    name: 'absolute paths are refused, whether or not they name the real secret',
    run(c) {
      c.errno('/secret/secret.txt', c.g.open('/secret/secret.txt').errno, PERM);
      c.errno('host absolute path', c.g.open(`${c.abs}/secret/secret.txt`).errno, PERM);
      c.errno('/', c.g.openDir('/').errno, PERM);
      c.errno('mkdir /x', c.g.mkdir(`${c.abs}/secret/made-by-guest`), PERM);
      c.errno('create host absolute', c.g.create(`${c.abs}/secret/created-abs.txt`).errno, PERM);
    },
  },
  {
    name: 'a host-planted symlink with an absolute target is refused when followed',
    run(c) {
      c.errno('open abs-file', c.g.open('abs-file').errno, PERM);
      c.errno('stat abs-file (follow)', c.g.stat('abs-file').errno, PERM);
      c.errno('open abs-file O_TRUNC', c.g.open('abs-file', { oflags: Oflags.TRUNC, write: true }).errno, PERM);
    },
  },
  {
    name: 'an absolute symlink as an earlier component is refused',
    run(c) {
      c.errno('abs-dir/secret.txt', c.g.open('abs-dir/secret.txt').errno, PERM);
      c.errno('abs-dir/dir/inner.txt nofollow', c.g.stat('abs-dir/dir/inner.txt', false).errno, PERM);
      c.errno('open dir abs-dir', c.g.openDir('abs-dir').errno, PERM);
    },
  },
  {
    name: 'a relative symlink leaving through ".." is refused in the last component',
    run(c) {
      c.errno('open up-file', c.g.open('up-file').errno, PERM);
      c.errno('stat up-file', c.g.stat('up-file').errno, PERM);
      c.errno('via-sandbox (out and back in)', c.g.open('via-sandbox').errno, PERM);
    },
  },
  {
    name: 'a symlink in the middle of a path that leaves the root is refused',
    run(c) {
      c.errno('up-dir/secret.txt', c.g.open('up-dir/secret.txt').errno, PERM);
      c.errno('up-dir/dir/inner.txt', c.g.open('up-dir/dir/inner.txt').errno, PERM);
      c.errno('up-dir/dir/inner.txt stat nofollow', c.g.stat('up-dir/dir/inner.txt', false).errno, PERM);
      c.errno('sub/up2/secret/secret.txt', c.g.open('sub/up2/secret/secret.txt').errno, PERM);
      c.errno('parent/secret/secret.txt', c.g.open('parent/secret/secret.txt').errno, PERM);
    },
  },
  {
    name: 'a chain of three host symlinks whose last hop leaves is refused',
    run(c) {
      c.errno('chain-a/secret.txt', c.g.open('chain-a/secret.txt').errno, PERM);
      c.errno('open dir chain-a', c.g.openDir('chain-a').errno, PERM);
      c.errno('sub/chain-b/dir/inner.txt', c.g.open('sub/chain-b/dir/inner.txt').errno, PERM);
    },
  },
  {
    name: 'symlinks to "." and ".." inside the root work, and climbing past the root through them is refused',
    run(c) {
      c.eq('self/self/self/file.txt', readAll(c.g, 'self/self/self/file.txt'), 'inside\n');
      c.eq('sub/to-parent/sub/to-parent/file.txt', readAll(c.g, 'sub/to-parent/sub/to-parent/file.txt'), 'inside\n');
      c.errno('self/..', c.g.openDir('self/..').errno, PERM);
      c.errno('sub/to-parent/..', c.g.openDir('sub/to-parent/..').errno, PERM);
      c.errno('self/self/../secret/secret.txt', c.g.open('self/self/../secret/secret.txt').errno, PERM);
      c.errno('parent', c.g.openDir('parent').errno, PERM);
    },
  },
  {
    name: 'symlink loops give ELOOP, and so does a walk of more than 40 symlinks',
    run(c) {
      c.errno('loop', c.g.open('loop').errno, LOOP);
      c.errno('ping', c.g.open('ping').errno, LOOP);
      c.errno('loop/x', c.g.open('loop/x').errno, LOOP);
      c.errno('create through ping', c.g.create('ping').errno, LOOP);
      c.errno('41 x self/', c.g.open(`${'self/'.repeat(41)}file.txt`).errno, LOOP);
      c.eq('40 x self/ is allowed', readAll(c.g, `${'self/'.repeat(40)}file.txt`), 'inside\n');
    },
  },
  {
    name: 'trailing slashes: lookups follow the final symlink and are refused; calls on the name never follow it',
    run(c) {
      c.errno('up-dir/ (stat nofollow)', c.g.stat('up-dir/', false).errno, PERM);
      c.errno('abs-dir/', c.g.openDir('abs-dir/').errno, PERM);
      c.errno('up-file/', c.g.open('up-file/', { follow: false }).errno, PERM);
      // Calls that act on the last name see the link itself, slash or not (as Linux does).
      c.errno('unlink up-dir/', c.g.unlink('up-dir/'), NOTDIR);
      c.errno('rmdir up-dir/', c.g.rmdir('up-dir/'), NOTDIR);
      c.errno('rmdir abs-dir/', c.g.rmdir('abs-dir/'), NOTDIR);
      c.errno('rename up-dir/ -> loot', c.g.rename('up-dir/', 'loot'), NOTDIR);
      c.errno('mkdir dangling-out/ does not create the target', c.g.mkdir('dangling-out/'), EXIST);
      c.errno('mkdir dangling-abs/', c.g.mkdir('dangling-abs/'), EXIST);
      c.errno('file.txt/', c.g.open('file.txt/').errno, NOTDIR);
      c.errno('mkdir up-dir/new/', c.g.mkdir('up-dir/new/'), PERM);
    },
  },
  {
    name: 'O_NOFOLLOW-style lookups never follow: ELOOP on open, the link itself on stat',
    run(c) {
      c.errno('open abs-file nofollow', c.g.open('abs-file', { follow: false }).errno, LOOP);
      c.errno('open up-file nofollow', c.g.open('up-file', { follow: false }).errno, LOOP);
      c.errno('open up-dir nofollow O_DIRECTORY', c.g.open('up-dir', { follow: false, oflags: Oflags.DIRECTORY }).errno, NOTDIR);
      const st = c.g.stat('abs-file', false);
      c.eq('stat abs-file nofollow', [Errno[st.errno], st.value.filetype, st.value.size],
        ['SUCCESS', Filetype.SYMBOLIC_LINK, BigInt(enc.encode(`${c.abs}/secret/secret.txt`).byteLength)]);
    },
  },
  {
    name: 'O_CREAT through a dangling host symlink that points outside creates nothing',
    run(c) {
      c.errno('create dangling-out', c.g.create('dangling-out').errno, PERM);
      c.errno('create dangling-abs', c.g.create('dangling-abs', { write: true }).errno, PERM);
      c.errno('create|trunc dangling-out', c.g.create('dangling-out', { oflags: Oflags.TRUNC, write: true }).errno, PERM);
      c.errno('create|excl dangling-out never follows', c.g.create('dangling-out', { oflags: Oflags.EXCL }).errno, EXIST);
    },
  },
  {
    name: 'creating files and directories through an escaping directory symlink is refused',
    run(c) {
      c.errno('create up-dir/new.txt', c.g.create('up-dir/new.txt').errno, PERM);
      c.errno('create chain-a/new.txt', c.g.create('chain-a/new.txt').errno, PERM);
      c.errno('mkdir up-dir/newdir', c.g.mkdir('up-dir/newdir'), PERM);
      c.errno('mkdir ../newdir', c.g.mkdir('../newdir'), PERM);
      c.errno('mkdir over dangling-out', c.g.mkdir('dangling-out'), EXIST);
      c.errno('symlink at up-dir/x', c.g.symlink('anything', 'up-dir/x'), PERM);
    },
  },
  {
    name: 'unlink and rmdir through escapes are refused; unlinking the link itself removes only the link',
    run(c) {
      c.errno('unlink up-dir/secret.txt', c.g.unlink('up-dir/secret.txt'), PERM);
      c.errno('unlink ../top-secret.txt', c.g.unlink('../top-secret.txt'), PERM);
      c.errno('rmdir up-dir/dir', c.g.rmdir('up-dir/dir'), PERM);
      c.errno('rmdir ../secret', c.g.rmdir('../secret'), PERM);
      c.errno('rmdir up-dir (a symlink)', c.g.rmdir('up-dir'), NOTDIR);
      c.errno('unlink up-file', c.g.unlink('up-file'), SUCCESS);
      c.errno('unlink abs-dir', c.g.unlink('abs-dir'), SUCCESS);
      c.errno('up-file is gone', c.g.stat('up-file', false).errno, NOENT);
    },
  },
  {
    name: 'rename out of, into and through escapes is refused',
    run(c) {
      c.errno('file.txt -> ../stolen.txt', c.g.rename('file.txt', '../stolen.txt'), PERM);
      c.errno('file.txt -> up-dir/planted.txt', c.g.rename('file.txt', 'up-dir/planted.txt'), PERM);
      c.errno('up-dir/secret.txt -> loot.txt', c.g.rename('up-dir/secret.txt', 'loot.txt'), PERM);
      c.errno('../secret -> loot', c.g.rename('../secret', 'loot'), PERM);
      c.errno('file.txt -> abs-dir/planted.txt', c.g.rename('file.txt', 'abs-dir/planted.txt'), PERM);
      c.errno('sub -> ../sub', c.g.rename('sub', '../sub'), PERM);
    },
  },
  {
    name: 'renaming a symlink moves the link, never its target, and it still cannot be followed out',
    run(c) {
      c.errno('rename up-file -> sub/moved', c.g.rename('up-file', 'sub/moved'), SUCCESS);
      // Now '../secret/secret.txt' relative to sub/: the sandbox's own (missing) secret/.
      c.errno('open sub/moved', c.g.open('sub/moved').errno, NOENT);
      c.eq('readlink sub/moved', c.g.readlink('sub/moved').value, '../secret/secret.txt');
      c.errno('rename sub/to-parent -> moved-parent', c.g.rename('sub/to-parent', 'moved-parent'), SUCCESS);
      c.errno('moved-parent/file.txt now leaves', c.g.open('moved-parent/file.txt').errno, PERM);
      c.errno('rename abs-dir over file.txt', c.g.rename('abs-dir', 'file.txt'), SUCCESS);
      c.errno('file.txt/secret.txt', c.g.open('file.txt/secret.txt').errno, PERM);
    },
  },
  {
    name: 'a hard link to a file outside cannot be made, by any path',
    run(c) {
      c.errno('link ../secret/secret.txt', c.g.link('../secret/secret.txt', 'hl'), PERM);
      c.errno('link up-dir/secret.txt', c.g.link('up-dir/secret.txt', 'hl'), PERM);
      c.errno('link up-file (follow)', c.g.link('up-file', 'hl', true), PERM);
      c.errno('link abs-file (follow)', c.g.link('abs-file', 'hl', true), PERM);
      c.errno('link chain-a/secret.txt', c.g.link('chain-a/secret.txt', 'hl'), PERM);
      c.errno('hl was not made', c.g.stat('hl', false).errno, NOENT);
    },
  },
  {
    name: 'a hard link cannot be planted outside either',
    run(c) {
      c.errno('link file.txt -> ../planted', c.g.link('file.txt', '../planted'), PERM);
      c.errno('link file.txt -> up-dir/planted', c.g.link('file.txt', 'up-dir/planted'), PERM);
      c.errno('link file.txt -> abs-dir/planted', c.g.link('file.txt', 'abs-dir/planted'), PERM);
    },
  },
  {
    name: 'hard-linking a symlink that points outside links the symlink itself (no follow)',
    run(c) {
      c.errno('link up-file -> hl-link', c.g.link('up-file', 'hl-link'), SUCCESS);
      const st = c.g.stat('hl-link', false);
      c.eq('hl-link is a symlink', [Errno[st.errno], st.value.filetype], ['SUCCESS', Filetype.SYMBOLIC_LINK]);
      c.eq('readlink hl-link', c.g.readlink('hl-link').value, '../secret/secret.txt');
      c.errno('open hl-link', c.g.open('hl-link').errno, PERM);
      c.errno('link abs-file -> sub/hl-abs', c.g.link('abs-file', 'sub/hl-abs'), SUCCESS);
      c.errno('open sub/hl-abs', c.g.open('sub/hl-abs').errno, PERM);
    },
  },
  {
    name: 'path_symlink with an absolute target is refused (EPERM, as wasmtime) and makes nothing',
    run(c) {
      c.errno('symlink /etc/passwd', c.g.symlink('/etc/passwd', 'g-abs'), PERM);
      c.errno('symlink host secret', c.g.symlink(`${c.abs}/secret/secret.txt`, 'g-abs'), PERM);
      c.errno('symlink /', c.g.symlink('/', 'sub/g-root'), PERM);
      c.errno('g-abs does not exist', c.g.stat('g-abs', false).errno, NOENT);
      c.errno('sub/g-root does not exist', c.g.stat('sub/g-root', false).errno, NOENT);
    },
  },
  {
    name: 'a symlink the guest makes to ../secret is made, but following it is refused',
    run(c) {
      c.errno('symlink ../secret/secret.txt', c.g.symlink('../secret/secret.txt', 'g-up'), SUCCESS);
      c.errno('open g-up', c.g.open('g-up').errno, PERM);
      c.errno('stat g-up', c.g.stat('g-up').errno, PERM);
      c.errno('open g-up O_TRUNC', c.g.open('g-up', { oflags: Oflags.TRUNC, write: true }).errno, PERM);
      c.eq('readlink g-up gives only the text', c.g.readlink('g-up').value, '../secret/secret.txt');
      c.errno('symlink ../secret', c.g.symlink('../secret', 'g-updir'), SUCCESS);
      c.errno('open g-updir/secret.txt', c.g.open('g-updir/secret.txt').errno, PERM);
      c.errno('create g-updir/new.txt', c.g.create('g-updir/new.txt').errno, PERM);
    },
  },
  {
    name: 'a chain of guest-made symlinks whose last hop leaves is refused',
    run(c) {
      c.errno('g1 -> g2', c.g.symlink('g2', 'g1'), SUCCESS);
      c.errno('g2 -> sub/g3', c.g.symlink('sub/g3', 'g2'), SUCCESS);
      c.errno('sub/g3 -> ../../secret', c.g.symlink('../../secret', 'sub/g3'), SUCCESS);
      c.errno('open g1/secret.txt', c.g.open('g1/secret.txt').errno, PERM);
      c.errno('opendir g1', c.g.openDir('g1').errno, PERM);
      c.errno('link g1/secret.txt', c.g.link('g1/secret.txt', 'hl'), PERM);
    },
  },
  {
    name: 'guest-made symlinks to "." and ".." work inside and are refused past the root',
    run(c) {
      c.errno('g-self -> .', c.g.symlink('.', 'g-self'), SUCCESS);
      c.errno('g-parent -> ..', c.g.symlink('..', 'g-parent'), SUCCESS);
      c.eq('g-self/g-self/file.txt', readAll(c.g, 'g-self/g-self/file.txt'), 'inside\n');
      c.errno('g-parent/secret/secret.txt', c.g.open('g-parent/secret/secret.txt').errno, PERM);
      c.errno('sub/g-up -> ../..', c.g.symlink('../..', 'sub/g-up'), SUCCESS);
      c.errno('sub/g-up/top-secret.txt', c.g.open('sub/g-up/top-secret.txt').errno, PERM);
      c.errno('g-loop -> g-loop/x', c.g.symlink('g-loop/x', 'g-loop'), SUCCESS);
      c.errno('open g-loop', c.g.open('g-loop').errno, LOOP);
    },
  },
  {
    name: 'O_CREAT through a dangling symlink the guest made that points outside creates nothing',
    run(c) {
      c.errno('symlink g-dangle', c.g.symlink('../secret/guest-created.txt', 'g-dangle'), SUCCESS);
      c.errno('create g-dangle', c.g.create('g-dangle').errno, PERM);
      c.errno('symlink sub/g-dangle2', c.g.symlink('../../guest-created.txt', 'sub/g-dangle2'), SUCCESS);
      c.errno('create sub/g-dangle2', c.g.create('sub/g-dangle2').errno, PERM);
      // Positive control: a dangling link that stays inside creates its target, as open(2) does.
      c.errno('symlink g-dangle-in', c.g.symlink('sub/made-through-link.txt', 'g-dangle-in'), SUCCESS);
      const made = c.g.create('g-dangle-in');
      c.errno('create g-dangle-in', made.errno, SUCCESS);
      c.g.close(made.value);
      c.errno('target made inside', c.g.stat('sub/made-through-link.txt', false).errno, SUCCESS);
    },
  },
  {
    name: 'a hard link the guest makes of its own escaping symlink still cannot be followed',
    run(c) {
      c.errno('symlink g-up', c.g.symlink('../secret/secret.txt', 'g-up'), SUCCESS);
      c.errno('link g-up -> sub/deeper/g-up-link', c.g.link('g-up', 'sub/deeper/g-up-link'), SUCCESS);
      // From sub/deeper, ../secret/secret.txt is sub/secret/secret.txt: inside, and absent.
      c.errno('open sub/deeper/g-up-link', c.g.open('sub/deeper/g-up-link').errno, NOENT);
      c.errno('link g-up (follow)', c.g.link('g-up', 'hl', true), PERM);
    },
  },
  {
    name: 'a guest symlink that is harmless where it is made is refused once renamed to where it leaves',
    run(c) {
      c.errno('sub/g-rel -> ../file.txt', c.g.symlink('../file.txt', 'sub/g-rel'), SUCCESS);
      c.eq('sub/g-rel reads file.txt', readAll(c.g, 'sub/g-rel'), 'inside\n');
      c.errno('rename sub/g-rel -> g-rel', c.g.rename('sub/g-rel', 'g-rel'), SUCCESS);
      c.errno('open g-rel', c.g.open('g-rel').errno, PERM);
    },
  },
  {
    name: 'set_times through an escaping symlink is refused; without follow it touches only the link',
    run(c) {
      c.errno('set_times up-file (follow)', c.g.setTimes('up-file', 1_000_000_000n, 1_000_000_000n), PERM);
      c.errno('set_times up-dir/secret.txt', c.g.setTimes('up-dir/secret.txt', 0n, 0n, false), PERM);
      c.errno('set_times abs-file (follow)', c.g.setTimes('abs-file', 0n, 0n), PERM);
      c.errno('set_times up-file (nofollow)', c.g.setTimes('up-file', 2_000_000_000n, 2_000_000_000n, false), SUCCESS);
      const st = c.g.stat('up-file', false);
      c.eq('the link got the time', st.value.mtim, 2_000_000_000n);
    },
  },
  {
    name: 'readlink of an escaping symlink gives its text, never the target\'s bytes',
    run(c) {
      c.eq('readlink up-file', c.g.readlink('up-file').value, '../secret/secret.txt');
      c.eq('readlink abs-file', c.g.readlink('abs-file').value, `${c.abs}/secret/secret.txt`);
      c.errno('readlink up-dir/secret.txt', c.g.readlink('up-dir/secret.txt').errno, PERM);
      c.errno('readlink ../secret', c.g.readlink('../secret').errno, PERM);
    },
  },
  {
    name: 'paths containing NUL are refused with EINVAL, for every call that takes one',
    run(c) {
      const nul = 'file.txt\0../../secret/secret.txt';
      c.errno('open', c.g.open(nul).errno, INVAL);
      c.errno('create', c.g.create('new\0.txt').errno, INVAL);
      c.errno('stat', c.g.stat(nul).errno, INVAL);
      c.errno('mkdir', c.g.mkdir('d\0ir'), INVAL);
      c.errno('symlink target', c.g.symlink('../secret\0', 'g-nul'), INVAL);
      c.errno('symlink name', c.g.symlink('file.txt', 'g\0nul'), INVAL);
      c.errno('rename', c.g.rename('file.txt', 'x\0y'), INVAL);
      c.errno('link', c.g.link('file.txt', 'x\0y'), INVAL);
      c.errno('unlink', c.g.unlink('file.txt\0'), INVAL);
    },
  },
  {
    name: 'paths that are not UTF-8 are refused with EILSEQ',
    run(c) {
      const bad = new Uint8Array([0x2e, 0x2e, 0x2f, 0xff, 0xfe]);
      c.errno('open', c.g.open(bad).errno, ILSEQ);
      c.errno('create', c.g.create(new Uint8Array([0x61, 0xc3])).errno, ILSEQ);
      c.errno('symlink target', c.g.symlink(new Uint8Array([0x2e, 0x2e, 0xc0, 0xaf]), 'g-bad'), ILSEQ);
    },
  },
  {
    name: 'very long paths and names give ENAMETOOLONG',
    run(c) {
      c.errno('4097-byte path', c.g.open(`${'./'.repeat(2048)}a`).errno, NAMETOOLONG);
      c.errno('4097-byte ../ path', c.g.open(`${'../'.repeat(1365)}ab`).errno, NAMETOOLONG);
      c.errno('256-byte name', c.g.create('n'.repeat(256)).errno, NAMETOOLONG);
      c.errno('256-byte middle name', c.g.open(`${'d'.repeat(256)}/x`).errno, NAMETOOLONG);
      c.errno('mkdir 256-byte name', c.g.mkdir('m'.repeat(256)), NAMETOOLONG);
      c.errno('symlink 256-byte name', c.g.symlink('file.txt', 's'.repeat(256)), NAMETOOLONG);
      // Limits are in bytes, as the guest passed them: 128 two-byte characters are 256 bytes.
      c.errno('256-byte name of 128 characters', c.g.create('é'.repeat(128)).errno, NAMETOOLONG);
      c.errno('4098-byte path of 2049 characters', c.g.open(`${'é/'.repeat(1366)}`).errno, NAMETOOLONG);
      const ok = c.g.create('n'.repeat(255));
      c.errno('255-byte name is fine', ok.errno, SUCCESS);
      c.g.close(ok.value);
    },
  },
  {
    name: 'a dirfd opened on a subdirectory is its own root: ".." above it is refused',
    run(c) {
      const sub = c.g.openDir('sub');
      c.errno('open sub', sub.errno, SUCCESS);
      c.errno('../file.txt from sub', c.g.open('../file.txt', { dirfd: sub.value }).errno, PERM);
      c.errno('to-parent/file.txt from sub', c.g.open('to-parent/file.txt', { dirfd: sub.value }).errno, PERM);
      c.errno('deeper/../../file.txt from sub', c.g.open('deeper/../../file.txt', { dirfd: sub.value }).errno, PERM);
      c.errno('mkdir ../x from sub', c.g.mkdir('../x', sub.value), PERM);
      c.errno('symlink ../y from sub', c.g.symlink('t', '../y', sub.value), PERM);
      c.eq('deeper/leaf.txt from sub', readAll(c.g, 'deeper/leaf.txt', sub.value), 'leaf\n');
    },
  },
  {
    name: 'a dirfd on a deeper directory, and one opened through a symlink, are roots too',
    run(c) {
      const deeper = c.g.openDir('sub/deeper');
      c.errno('open sub/deeper', deeper.errno, SUCCESS);
      c.errno('.. from deeper', c.g.openDir('..', deeper.value).errno, PERM);
      c.errno('rename leaf.txt -> ../leaf.txt', c.g.rename('leaf.txt', '../leaf.txt', deeper.value, deeper.value), PERM);
      c.errno('link leaf.txt -> ../../l', c.g.link('leaf.txt', '../../l', false, deeper.value, deeper.value), PERM);
      const viaSelf = c.g.openDir('self/sub');
      c.errno('open self/sub', viaSelf.errno, SUCCESS);
      c.errno('.. from self/sub', c.g.openDir('..', viaSelf.value).errno, PERM);
    },
  },
  {
    name: 'a directory fd whose directory the guest renames away and replaces with an escaping symlink never follows the link',
    run(c) {
      const sub = c.g.openDir('sub');
      c.errno('open sub', sub.errno, SUCCESS);
      c.errno('rename sub -> sub-moved', c.g.rename('sub', 'sub-moved'), SUCCESS);
      c.errno('symlink sub -> ../secret', c.g.symlink('../secret', 'sub'), SUCCESS);
      // POSIX keeps the fd on the moved directory; a backend that addresses directories by
      // path may refuse instead (ENOENT). Either way nothing outside is reached.
      const fd = sub.value;
      c.oneOf('read deeper/leaf.txt through the fd', readAll(c.g, 'deeper/leaf.txt', fd), ['leaf\n', 'errno NOENT']);
      c.errno('open secret.txt through the fd', c.g.open('secret.txt', { dirfd: fd }).errno, NOENT);
      c.errno('stat dir/inner.txt through the fd', c.g.stat('dir/inner.txt', false, fd).errno, NOENT);
      c.errno('unlink secret.txt through the fd', c.g.unlink('secret.txt', fd), NOENT);
      c.errno('rmdir dir through the fd', c.g.rmdir('dir', fd), NOENT);
      c.oneOf('mkdir planted through the fd', c.g.mkdir('planted', fd), [SUCCESS, NOENT]);
      c.oneOf('create planted.txt through the fd', c.g.create('planted.txt', { dirfd: fd }).errno, [SUCCESS, NOENT]);
      const names = c.g.readdir(fd, 0n, 8192);
      c.eq('readdir never lists the secret dir', names.value.some((e) => e.name === 'secret.txt' || e.name === 'inner.txt'), false);
      c.oneOf('fd_filestat_get of the fd', Errno[c.g.fdStat(fd).errno], ['SUCCESS', 'NOENT']);
      // The same through a second preopen-like root: the symlink now named sub is refused.
      c.errno('open sub/secret.txt from the root', c.g.open('sub/secret.txt').errno, PERM);
    },
  },
  {
    name: 'a file descriptor is not a directory: path calls on it give ENOTDIR',
    run(c) {
      const f = c.g.open('file.txt');
      c.errno('open file.txt', f.errno, SUCCESS);
      c.errno('open ../secret/secret.txt at a file fd', c.g.open('../secret/secret.txt', { dirfd: f.value }).errno, NOTDIR);
      c.errno('stat . at a file fd', c.g.stat('.', true, f.value).errno, NOTDIR);
    },
  },
  {
    name: 'the preopen\'s directory listing shows only its own entries; ".." reveals nothing of the parent',
    run(c) {
      const fd = c.g.openDir('.');
      const list = c.g.readdir(fd.value, 0n, 8192);
      const names = list.value.map((e) => e.name).sort();
      c.eq('names', names.includes('secret') || names.includes('top-secret.txt') || names.includes('sandbox'), false);
      c.eq('. and .. present', names.includes('.') && names.includes('..'), true);
      c.eq('file.txt present', names.includes('file.txt'), true);
      const up = c.g.readdir(fd.value, 0n, 8192).value;
      c.eq('same listing again', up.map((e) => e.name).sort(), names);
    },
  },
  {
    name: 'opening ".." of the root as a directory to list it, through every spelling, is refused',
    run(c) {
      for (const p of ['..', '../', './..', 'sub/../..', 'self/..', 'sub/to-parent/..', 'parent', 'parent/', 'sub/up2']) {
        c.errno(`opendir ${p}`, c.g.openDir(p).errno, PERM);
      }
    },
  },
];

/* ---------- running ---------- */

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

export interface AttemptReport {
  failures: string[];
  checks: number;
}

/** Runs one attempt in a fresh world and reports everything that went wrong. */
export async function runEscapeAttempt(factory: EscapeWorldFactory, attempt: EscapeAttempt): Promise<AttemptReport> {
  const world = await factory();
  const failures: string[] = [];
  let checks = 0;
  try {
    buildWorld(world.root, world.absolutePath);
    const snapshot = () => (world.snapshotOutside ? world.snapshotOutside() : snapshotThrough(world.root));
    const before = snapshot();
    const sandbox = world.preopen ? world.preopen() : subdir(world.root, 'sandbox');
    const g = Guest.over(sandbox);
    const ctx: AttemptContext = {
      g,
      abs: world.absolutePath,
      errno(label, got, want) {
        checks++;
        if (got !== want) failures.push(`${label}: got ${Errno[got] ?? got}, want ${Errno[want]}`);
      },
      eq(label, got, want) {
        checks++;
        if (json(got) !== json(want)) failures.push(`${label}: got ${json(got)}, want ${json(want)}`);
      },
      oneOf(label, got, wants) {
        checks++;
        if (!wants.some((w) => json(w) === json(got))) failures.push(`${label}: got ${json(got)}, want one of ${wants.map(json).join(' | ')}`);
      },
    };
    try {
      attempt.run(ctx);
    } finally {
      g.end();
    }
    if (checks === 0) failures.push('the attempt checked nothing');
    if (containsMarker(g.bytes)) failures.push('secret bytes reached guest memory');
    failures.push(...diff(before, snapshot()));
    failures.push(...(world.leaks?.() ?? []));
  } finally {
    await world.dispose?.();
  }
  return { failures, checks };
}

/** The jest front end: one test per attempt, over worlds made by `factory`. */
export function describeEscapeSuite(label: string, factory: EscapeWorldFactory): void {
  describe(label, () => {
    it(`has at least 30 distinct attempts`, () => {
      expect(new Set(ESCAPE_ATTEMPTS.map((a) => a.name)).size).toBe(ESCAPE_ATTEMPTS.length);
      expect(ESCAPE_ATTEMPTS.length).toBeGreaterThanOrEqual(30);
    });
    for (const attempt of ESCAPE_ATTEMPTS) {
      it(attempt.name, async () => {
        const report = await runEscapeAttempt(factory, attempt);
        expect(report.failures).toEqual([]);
        expect(report.checks).toBeGreaterThan(0);
      });
    }
  });
}
