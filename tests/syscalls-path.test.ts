import { Errno, Filetype, Fstflags, Lookupflags, Oflags, RIGHTS_DIR, RIGHTS_FILE, Rights } from '../src/abi/constants';
import { MemoryDirectory, type Tree } from '../src/backends/memory';
import { Harness, PAGE, RDONLY_RIGHTS, dec, enc, errname as E, poison, snapshot } from './support/harness';

const TREE: Tree = {
  'a.txt': 'alpha',
  'b.txt': 'bravo',
  dir: { 'x.txt': 'x-ray', sub: { 'deep.txt': 'deep' }, empty: {} },
  'link-a': { symlink: 'a.txt' },
  'link-dir': { symlink: 'dir' },
  'link-deep': { symlink: 'dir/sub/deep.txt' },
  'dangling': { symlink: 'nowhere' },
};

const text = (h: Harness, path: string): string => {
  let node: unknown = h.root.toTree();
  for (const part of path.split('/')) node = (node as Tree)[part];
  if (!(node instanceof Uint8Array)) throw new Error(`${path} is not a file`);
  return dec(node);
};
const exists = (h: Harness, path: string): boolean => h.pathStat(path, false).errno === 0;

/** Every path syscall, as (name, call with this path relative to dirfd). */
const PATH_CALLS: [string, (h: Harness, path: string, dirfd?: number) => number][] = [
  ['path_open', (h, p, d) => h.tryOpen(p, { dirfd: d }).errno],
  ['path_open O_CREAT', (h, p, d) => h.tryOpen(p, { dirfd: d, oflags: Oflags.CREAT }).errno],
  ['path_create_directory', (h, p, d) => h.mkdir(p, d)],
  ['path_remove_directory', (h, p, d) => h.rmdir(p, d)],
  ['path_unlink_file', (h, p, d) => h.unlink(p, d)],
  ['path_rename (source)', (h, p, d) => h.rename(p, 'renamed', d, 3)],
  ['path_rename (target)', (h, p, d) => h.rename('b.txt', p, 3, d)],
  ['path_link (source)', (h, p, d) => h.link(p, 'linked', true, d, 3)],
  ['path_link (target)', (h, p, d) => h.link('b.txt', p, false, 3, d)],
  ['path_symlink (link path)', (h, p, d) => h.symlink('b.txt', p, d)],
  ['path_readlink', (h, p, d) => h.readlink(p, 64, d).errno],
  ['path_filestat_get', (h, p, d) => h.pathStat(p, true, d).errno],
  ['path_filestat_get (nofollow)', (h, p, d) => h.pathStat(p, false, d).errno],
  ['path_filestat_set_times', (h, p, d) => {
    h.reset();
    const [ptr, len] = h.put(p);
    return h.p.path_filestat_set_times(d ?? 3, Lookupflags.SYMLINK_FOLLOW, ptr, len, 1n, 1n, Fstflags.ATIM | Fstflags.MTIM);
  }],
];

describe('paths that leave the preopen: EPERM for every path call, nothing changes', () => {
  const ESCAPE_TREE: Tree = {
    ...TREE,
    up: { symlink: '..' },
    'up-file': { symlink: '../a.txt' },
    abs: { symlink: '/etc' },
    'abs-file': { symlink: '/etc/passwd' },
    chain1: { symlink: 'chain2' },
    chain2: { symlink: 'dir/chain3' },
    dir: { ...(TREE.dir as Tree), chain3: { symlink: '../../outside' }, 'up2': { symlink: '../..' }, 'ok': { symlink: '../a.txt' } },
  };
  const ESCAPES = [
    '..', '../', '../a.txt', '../outside/x', 'dir/../..', 'dir/../../a.txt', 'dir/sub/../../../x', './../x',
    '/', '/a.txt', '/etc/passwd', '//a.txt',
    'up', 'up/a.txt', 'up-file', 'abs', 'abs/passwd', 'abs-file',
    'chain1', 'chain1/x', 'dir/up2', 'dir/up2/a.txt', 'dir/chain3', 'link-dir/up2/x',
  ];
  for (const [name, call] of PATH_CALLS) {
    it.each(ESCAPES)(`${name}: %s`, (path) => {
      const h = new Harness(ESCAPE_TREE);
      const before = h.root.toTree();
      const r = call(h, path);
      // A link that is not followed (the last component of a nofollow call, or the name an
      // unlink/readlink/rename acts on) does not leave the sandbox: those may succeed or fail
      // otherwise, but never by following it.
      const lastIsLink = /^(up|up-file|abs|abs-file|chain1|dir\/up2|dir\/chain3)$/.test(path);
      const actsOnLink = /path_create_directory|path_remove_directory|path_unlink_file|path_readlink|nofollow|rename \(source\)|path_link \(target\)|path_rename \(target\)|path_symlink/.test(name);
      if (lastIsLink && actsOnLink) {
        expect(E(r)).not.toBe('PERM');
        return;
      }
      expect(E(r)).toBe('PERM');
      expect(h.root.toTree()).toEqual(before);
      expect(h.root.openHandles).toBe(0);
      expect(h.fds()).toEqual([0, 1, 2, 3]);
    });
  }

  it('a directory fd is its own root: .. above it is EPERM even inside the preopen', () => {
    const h = new Harness(TREE);
    const d = h.openDir('dir');
    expect(E(h.tryOpen('../a.txt', { dirfd: d }).errno)).toBe('PERM');
    expect(E(h.pathStat('..', true, d).errno)).toBe('PERM');
    expect(E(h.pathStat('sub/../..', true, d).errno)).toBe('PERM');
    expect(h.pathStat('sub/..', true, d).st.ino).toBe(h.pathStat('dir').st.ino);
    expect(text(h, 'dir/x.txt')).toBe('x-ray');
  });

  it('.. and symlinks that stay inside are fine', () => {
    const h = new Harness({ ...TREE, dir: { ...(TREE.dir as Tree), ok: { symlink: '../a.txt' } } });
    expect(dec(h.read(h.open('dir/../a.txt'), 10).data)).toBe('alpha');
    expect(dec(h.read(h.open('dir/ok'), 10).data)).toBe('alpha');
    expect(dec(h.read(h.open('link-dir/sub/../x.txt'), 10).data)).toBe('x-ray');
    expect(dec(h.read(h.open('./dir/./sub//deep.txt'), 10).data)).toBe('deep');
    // link-dir/.. is the parent of the link's target (physical, as the kernel does): the root.
    expect(h.pathStat('link-dir/..').st.ino).toBe(h.pathStat('.').st.ino);
  });

  it('an absolute symlink target is refused when the link is made (EPERM)', () => {
    const h = new Harness(TREE);
    expect(E(h.symlink('/etc/passwd', 'evil'))).toBe('PERM');
    expect(exists(h, 'evil')).toBe(false);
    // A relative one that would escape can be made (cap-std allows it), but never followed.
    expect(h.symlink('../../x', 'later')).toBe(0);
    expect(E(h.tryOpen('later').errno)).toBe('PERM');
    expect(h.readlink('later').target).toBe('../../x');
  });
});

describe('symlink loops: ELOOP', () => {
  const LOOPS: Tree = {
    self: { symlink: 'self' },
    ping: { symlink: 'pong' },
    pong: { symlink: 'ping' },
    'dir-loop': { symlink: 'dir-loop/x' },
    dir: {},
  };
  it.each(['self', 'ping', 'self/x', 'ping/a/b', 'dir-loop', 'dir/../self'])('%s', (path) => {
    const h = new Harness(LOOPS);
    expect(E(h.tryOpen(path).errno)).toBe('LOOP');
    expect(E(h.pathStat(path).errno)).toBe('LOOP');
    expect(E(h.tryOpen(path, { oflags: Oflags.CREAT }).errno)).toBe('LOOP');
    expect(h.fds()).toEqual([0, 1, 2, 3]);
  });

  it('40 links in a chain resolve, 41 are ELOOP', () => {
    const tree: Tree = { target: 'end' };
    for (let i = 0; i < 41; i++) tree[`l${i}`] = { symlink: i === 0 ? 'target' : `l${i - 1}` };
    const h = new Harness(tree);
    expect(dec(h.read(h.open('l39'), 10).data)).toBe('end');
    expect(E(h.tryOpen('l40').errno)).toBe('LOOP');
  });

  it('a final symlink not followed: path_open ELOOP (O_NOFOLLOW), ENOTDIR with O_DIRECTORY; stat sees the link', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('link-a', { follow: false }).errno)).toBe('LOOP');
    expect(E(h.tryOpen('link-dir', { follow: false, oflags: Oflags.DIRECTORY, rights: BigInt(RDONLY_RIGHTS) }).errno)).toBe('NOTDIR');
    const st = h.pathStat('link-a', false).st;
    expect(st.filetype).toBe(Filetype.SYMBOLIC_LINK);
    expect(st.size).toBe(5n);
    expect(h.pathStat('link-a', true).st.filetype).toBe(Filetype.REGULAR_FILE);
    // Earlier components are always followed.
    expect(h.pathStat('link-dir/x.txt', false).st.size).toBe(5n);
  });
});

describe('path_open', () => {
  it('opens, creates, truncates; O_EXCL refuses an existing name', () => {
    const h = new Harness(TREE);
    const fd = h.open('new.txt', { oflags: Oflags.CREAT });
    expect(h.write(fd, 'fresh').n).toBe(5);
    expect(text(h, 'new.txt')).toBe('fresh');
    expect(E(h.tryOpen('new.txt', { oflags: Oflags.CREAT | Oflags.EXCL }).errno)).toBe('EXIST');
    expect(E(h.tryOpen('dir', { oflags: Oflags.CREAT | Oflags.EXCL }).errno)).toBe('EXIST');
    const t = h.open('a.txt', { oflags: Oflags.TRUNC });
    expect(text(h, 'a.txt')).toBe('');
    expect(h.filestat(t).st.size).toBe(0n);
    expect(h.open('made.txt', { oflags: Oflags.CREAT | Oflags.EXCL })).toBeGreaterThan(3);
    expect(text(h, 'made.txt')).toBe('');
  });

  it('O_CREAT|O_EXCL on a symlink is EEXIST even when it dangles (the link is not followed)', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('dangling', { oflags: Oflags.CREAT | Oflags.EXCL }).errno)).toBe('EXIST');
    expect(E(h.tryOpen('link-a', { oflags: Oflags.CREAT | Oflags.EXCL }).errno)).toBe('EXIST');
    expect(exists(h, 'nowhere')).toBe(false);
    // Without O_EXCL, O_CREAT through a dangling link creates its target.
    expect(h.open('dangling', { oflags: Oflags.CREAT })).toBeGreaterThan(3);
    expect(text(h, 'nowhere')).toBe('');
  });

  it('ENOENT for a missing name or a missing directory on the way; ENOTDIR for a file on the way', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('missing').errno)).toBe('NOENT');
    expect(E(h.tryOpen('nodir/x', { oflags: Oflags.CREAT }).errno)).toBe('NOENT');
    expect(E(h.tryOpen('dangling').errno)).toBe('NOENT');
    expect(E(h.tryOpen('a.txt/x').errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('a.txt/x', { oflags: Oflags.CREAT }).errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('link-a/x').errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('').errno)).toBe('NOENT');
  });

  it('O_DIRECTORY on a file is ENOTDIR; opening a directory for writing, O_TRUNC or O_CREAT is EISDIR', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('a.txt', { oflags: Oflags.DIRECTORY }).errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('link-a', { oflags: Oflags.DIRECTORY }).errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('dir', { rights: BigInt(Rights.FD_WRITE) }).errno)).toBe('ISDIR');
    expect(E(h.tryOpen('dir', { rights: BigInt(RDONLY_RIGHTS), oflags: Oflags.TRUNC }).errno)).toBe('ISDIR');
    expect(E(h.tryOpen('dir', { rights: BigInt(RDONLY_RIGHTS), oflags: Oflags.CREAT }).errno)).toBe('ISDIR');
    expect(E(h.tryOpen('new-dir', { oflags: Oflags.CREAT | Oflags.DIRECTORY }).errno)).toBe('INVAL');
    expect(exists(h, 'new-dir')).toBe(false);
    expect(h.fds()).toEqual([0, 1, 2, 3]);
  });

  it('trailing slashes: a file with one is ENOTDIR, a directory is fine, O_CREAT of "new/" is EISDIR', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('a.txt/').errno)).toBe('NOTDIR');
    expect(E(h.tryOpen('link-a/').errno)).toBe('NOTDIR');
    expect(E(h.pathStat('a.txt/').errno)).toBe('NOTDIR');
    expect(E(h.pathStat('a.txt/', false).errno)).toBe('NOTDIR');
    expect(h.openDir('dir/')).toBe(4);
    expect(h.openDir('link-dir/')).toBe(5);
    expect(h.openDir('dir//sub///')).toBe(6);
    expect(E(h.tryOpen('new/', { oflags: Oflags.CREAT }).errno)).toBe('ISDIR');
    expect(exists(h, 'new')).toBe(false);
  });

  it('a directory opened through a path lists, opens and creates relative to itself', () => {
    const h = new Harness(TREE);
    const d = h.openDir('dir');
    expect(h.fdstat(d).filetype).toBe(Filetype.DIRECTORY);
    expect(dec(h.read(h.open('x.txt', { dirfd: d }), 10).data)).toBe('x-ray');
    expect(h.mkdir('made', d)).toBe(0);
    expect(exists(h, 'dir/made')).toBe(true);
    expect(h.listAll(d)).toEqual(['.', '..', 'x.txt', 'sub', 'empty', 'made']);
  });

  it('through a file, a pipe or stdio: ENOTDIR; through a bad fd: EBADF', () => {
    const h = new Harness(TREE);
    const f = h.open('a.txt');
    const { r } = h.pipe();
    for (const fd of [f, r, 0, 1]) {
      expect(E(h.tryOpen('x', { dirfd: fd }).errno)).toBe('NOTDIR');
      expect(E(h.tryOpen('x', { dirfd: fd, oflags: Oflags.CREAT }).errno)).toBe('NOTDIR');
      expect(E(h.mkdir('x', fd))).toBe('NOTDIR');
      expect(E(h.pathStat('x', true, fd).errno)).toBe('NOTDIR');
    }
    for (const fd of [40, -1]) expect(E(h.tryOpen('a.txt', { dirfd: fd }).errno)).toBe('BADF');
  });

  it.each([
    ['oflags 16', { oflags: 16 }],
    ['oflags -1', { oflags: -1 }],
    ['fdflags 32', { fdflags: 32 }],
    ['fdflags 0x8000', { fdflags: 0x8000 }],
  ])('%s is EINVAL and creates nothing', (_n, o) => {
    const h = new Harness(TREE);
    const r = h.tryOpen('created', { ...o, oflags: (o as { oflags?: number }).oflags ?? Oflags.CREAT });
    expect(E(r.errno)).toBe('INVAL');
    expect(exists(h, 'created')).toBe(false);
    expect(h.fds()).toEqual([0, 1, 2, 3]);
  });

  it('a bad result pointer is EFAULT: no fd, no file created, nothing written', () => {
    const h = new Harness(TREE);
    for (const out of [PAGE - 3, PAGE, -4]) {
      h.reset();
      const [p, l] = h.put('created');
      poison(h);
      h.bytes.set(enc('created'), p);
      const unchanged = snapshot(h);
      expect(E(h.p.path_open(3, 1, p, l, Oflags.CREAT, BigInt(RIGHTS_FILE), 0n, 0, out))).toBe('FAULT');
      expect(unchanged()).toBe(true);
    }
    expect(exists(h, 'created')).toBe(false);
    expect(h.fds()).toEqual([0, 1, 2, 3]);
    expect(h.root.openHandles).toBe(0);
  });

  it('a bad path pointer is EFAULT; invalid UTF-8 is EILSEQ; a NUL is EINVAL', () => {
    const h = new Harness(TREE);
    expect(E(h.p.path_open(3, 1, PAGE - 2, 4, 0, 0n, 0n, 0, 64))).toBe('FAULT');
    expect(E(h.p.path_open(3, 1, 100, -1, 0, 0n, 0n, 0, 64))).toBe('FAULT');
    h.bytes.set([0x61, 0xff, 0x62], 100);
    expect(E(h.p.path_open(3, 1, 100, 3, Oflags.CREAT, 0n, 0n, 0, 64))).toBe('ILSEQ');
    h.bytes.set([0x61, 0x00, 0x62], 100);
    expect(E(h.p.path_open(3, 1, 100, 3, Oflags.CREAT, 0n, 0n, 0, 64))).toBe('INVAL');
    expect(h.fds()).toEqual([0, 1, 2, 3]);
    expect(Object.keys(h.root.toTree()).sort()).toEqual(Object.keys(TREE).sort());
  });

  it('names past NAME_MAX and paths past PATH_MAX are ENAMETOOLONG', () => {
    const h = new Harness(TREE);
    expect(E(h.tryOpen('n'.repeat(256), { oflags: Oflags.CREAT }).errno)).toBe('NAMETOOLONG');
    expect(h.open('n'.repeat(255), { oflags: Oflags.CREAT })).toBe(4);
    expect(E(h.tryOpen('./'.repeat(2049)).errno)).toBe('NAMETOOLONG');
    // 255 bytes counted in UTF-8, not in characters.
    expect(E(h.tryOpen('é'.repeat(128), { oflags: Oflags.CREAT }).errno)).toBe('NAMETOOLONG');
  });

  it('rights: the access mode comes from the rights asked; the fd gets its kind\'s rights within what the directory passes on', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt', { rights: BigInt(Rights.FD_READ | Rights.PATH_OPEN), inheriting: BigInt(RIGHTS_FILE) });
    const st = h.fdstat(fd);
    expect(st.base).toBe(BigInt(RIGHTS_FILE & ~(Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE)));
    expect(st.inheriting).toBe(0n);
    expect(E(h.write(fd, 'x').errno)).toBe('BADF');
    expect(h.seek(fd, 2).offset).toBe(2n);
    const wo = h.open('a.txt', { rights: BigInt(Rights.FD_WRITE) });
    expect(h.fdstat(wo).base).toBe(BigInt(RIGHTS_FILE & ~Rights.FD_READ));
    // A directory gets the directory rights its parent passes on.
    const d = h.openDir('dir');
    expect(h.fdstat(d).base).toBe(BigInt(RIGHTS_DIR));
    expect(h.fdstat(d).inheriting).toBe(BigInt(RIGHTS_DIR | RIGHTS_FILE));
    // What the directory does not pass on, the file does not get.
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR), BigInt((RIGHTS_DIR | RIGHTS_FILE) & ~Rights.FD_SEEK))).toBe(0);
    const cut = h.open('a.txt');
    expect(h.fdstat(cut).base & BigInt(Rights.FD_SEEK)).toBe(0n);
    expect(E(h.seek(cut, 1).errno)).toBe('NOTCAPABLE');
  });

  it('O_CREAT needs PATH_CREATE_FILE; O_TRUNC needs PATH_FILESTAT_SET_SIZE; opening needs PATH_OPEN', () => {
    const h = new Harness(TREE);
    const inh = BigInt(RIGHTS_DIR | RIGHTS_FILE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_CREATE_FILE), inh)).toBe(0);
    expect(E(h.tryOpen('new', { oflags: Oflags.CREAT }).errno)).toBe('NOTCAPABLE');
    expect(exists(h, 'new')).toBe(false);
    expect(h.open('a.txt')).toBe(4);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~(Rights.PATH_CREATE_FILE | Rights.PATH_FILESTAT_SET_SIZE)), inh)).toBe(0);
    expect(E(h.tryOpen('a.txt', { oflags: Oflags.TRUNC }).errno)).toBe('PERM');
    expect(text(h, 'a.txt')).toBe('alpha');
    expect(h.p.fd_fdstat_set_rights(3, 0n, inh)).toBe(0);
    expect(E(h.tryOpen('a.txt').errno)).toBe('NOTCAPABLE');
  });

  it('EMFILE when the table is full: the handle is closed again and nothing leaks', () => {
    const h = new Harness(TREE, { maxDescriptors: 6 });
    expect(h.open('a.txt')).toBe(4);
    expect(h.open('a.txt')).toBe(5);
    expect(E(h.tryOpen('a.txt').errno)).toBe('MFILE');
    expect(E(h.tryOpen('c.txt', { oflags: Oflags.CREAT }).errno)).toBe('MFILE');
    expect(h.root.openHandles).toBe(2);
    expect(h.p.fd_close(4)).toBe(0);
    expect(h.open('a.txt')).toBe(4);
  });
});

describe('path_create_directory', () => {
  it('creates; EEXIST for anything already there (file, dir, symlink, dangling symlink, "."); ENOENT / ENOTDIR on the way', () => {
    const h = new Harness(TREE);
    expect(h.mkdir('new')).toBe(0);
    expect(h.pathStat('new').st.filetype).toBe(Filetype.DIRECTORY);
    expect(h.mkdir('new/inner/')).toBe(0);
    for (const p of ['new', 'a.txt', 'a.txt/', 'dir', 'link-a', 'link-a/', 'dangling', 'dangling/', '.', 'dir/.', 'dir/sub/..']) {
      expect([p, E(h.mkdir(p))]).toEqual([p, 'EXIST']);
    }
    expect(exists(h, 'nowhere')).toBe(false);
    expect(E(h.mkdir('no/such'))).toBe('NOENT');
    expect(E(h.mkdir('a.txt/sub'))).toBe('NOTDIR');
    expect(E(h.mkdir(''))).toBe('NOENT');
  });

  it('needs PATH_CREATE_DIRECTORY', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_CREATE_DIRECTORY), 0n)).toBe(0);
    expect(E(h.mkdir('x'))).toBe('NOTCAPABLE');
  });
});

describe('path_remove_directory', () => {
  it('removes an empty directory, also with a trailing slash', () => {
    const h = new Harness(TREE);
    expect(h.rmdir('dir/empty/')).toBe(0);
    expect(exists(h, 'dir/empty')).toBe(false);
    expect(h.mkdir('e')).toBe(0);
    expect(h.rmdir('e')).toBe(0);
  });

  it('error paths', () => {
    const h = new Harness(TREE);
    expect(E(h.rmdir('dir'))).toBe('NOTEMPTY');
    expect(E(h.rmdir('a.txt'))).toBe('NOTDIR');
    expect(E(h.rmdir('a.txt/'))).toBe('NOTDIR');
    expect(E(h.rmdir('link-dir'))).toBe('NOTDIR');
    expect(E(h.rmdir('missing'))).toBe('NOENT');
    expect(E(h.rmdir('.'))).toBe('INVAL');
    expect(E(h.rmdir('dir/empty/.'))).toBe('INVAL');
    expect(exists(h, 'dir/empty')).toBe(true);
  });

  it('a symlink to a directory with a trailing slash is ENOTDIR, and the target survives', () => {
    const h = new Harness({ empty: {}, link: { symlink: 'empty' } });
    expect(E(h.rmdir('link/'))).toBe('NOTDIR');
    expect(exists(h, 'empty')).toBe(true);
    expect(exists(h, 'link')).toBe(true);
  });

  it('needs PATH_REMOVE_DIRECTORY', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_REMOVE_DIRECTORY), 0n)).toBe(0);
    expect(E(h.rmdir('dir/empty'))).toBe('NOTCAPABLE');
  });
});

describe('path_unlink_file', () => {
  it('removes files and symlinks (not their targets)', () => {
    const h = new Harness(TREE);
    expect(h.unlink('link-a')).toBe(0);
    expect(exists(h, 'link-a')).toBe(false);
    expect(text(h, 'a.txt')).toBe('alpha');
    expect(h.unlink('dangling')).toBe(0);
    expect(h.unlink('a.txt')).toBe(0);
    expect(exists(h, 'a.txt')).toBe(false);
  });

  it('error paths', () => {
    const h = new Harness(TREE);
    expect(E(h.unlink('dir'))).toBe('ISDIR');
    expect(E(h.unlink('dir/'))).toBe('ISDIR');
    expect(E(h.unlink('.'))).toBe('ISDIR');
    expect(E(h.unlink('missing'))).toBe('NOENT');
    expect(E(h.unlink('a.txt/'))).toBe('NOTDIR');
    expect(E(h.unlink('link-a/'))).toBe('NOTDIR');
    expect(E(h.unlink('a.txt/x'))).toBe('NOTDIR');
    expect(text(h, 'a.txt')).toBe('alpha');
    expect(exists(h, 'link-a')).toBe(true);
  });

  it('an unlinked open file stays readable and writable through every dup until the last close', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt');
    const dup = h.dup(fd).fd;
    expect(h.root.openHandles).toBe(1);
    expect(h.unlink('a.txt')).toBe(0);
    expect(exists(h, 'a.txt')).toBe(false);
    expect(h.filestat(fd).st.nlink).toBe(0n);
    expect(dec(h.read(fd, 3).data)).toBe('alp');
    expect(h.write(dup, '++').n).toBe(2);
    expect(h.p.fd_close(fd)).toBe(0);
    expect(h.root.openHandles).toBe(1);
    h.seek(dup, 0);
    expect(dec(h.read(dup, 10).data)).toBe('alp++');
    // A new file under the old name is a different file.
    const again = h.open('a.txt', { oflags: Oflags.CREAT });
    expect(h.read(again, 10).data.byteLength).toBe(0);
    expect(h.p.fd_close(dup)).toBe(0);
    expect(h.p.fd_close(again)).toBe(0);
    expect(h.root.openHandles).toBe(0);
    expect(h.root.doubleCloses).toBe(0);
  });

  it('needs PATH_UNLINK_FILE', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_UNLINK_FILE), 0n)).toBe(0);
    expect(E(h.unlink('a.txt'))).toBe('NOTCAPABLE');
  });
});

describe('path_rename', () => {
  it('renames files, directories and symlinks; replaces a file; the open fd follows the file', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt');
    expect(h.rename('a.txt', 'dir/moved.txt')).toBe(0);
    expect(exists(h, 'a.txt')).toBe(false);
    expect(text(h, 'dir/moved.txt')).toBe('alpha');
    expect(h.write(fd, 'A').n).toBe(1);
    expect(text(h, 'dir/moved.txt')).toBe('Alpha');
    expect(h.rename('dir/moved.txt', 'b.txt')).toBe(0);
    expect(text(h, 'b.txt')).toBe('Alpha');
    expect(h.rename('dir', 'renamed-dir')).toBe(0);
    expect(text(h, 'renamed-dir/sub/deep.txt')).toBe('deep');
    expect(h.rename('link-a', 'link-b')).toBe(0);
    expect(h.readlink('link-b').target).toBe('a.txt');
    expect(h.root.openHandles).toBe(1);
  });

  it('replacing an open file keeps its data for the open fd', () => {
    const h = new Harness(TREE);
    const fd = h.open('b.txt');
    expect(h.rename('a.txt', 'b.txt')).toBe(0);
    expect(text(h, 'b.txt')).toBe('alpha');
    expect(dec(h.read(fd, 10).data)).toBe('bravo');
    h.p.fd_close(fd);
    expect(h.root.openHandles).toBe(0);
  });

  it('a directory replaces an empty directory, not a full one or a file', () => {
    const h = new Harness(TREE);
    expect(h.rename('dir/sub', 'dir/empty')).toBe(0);
    expect(text(h, 'dir/empty/deep.txt')).toBe('deep');
    expect(h.mkdir('full')).toBe(0);
    expect(h.mkdir('full/x')).toBe(0);
    expect(E(h.rename('dir/empty', 'full'))).toBe('NOTEMPTY');
    expect(E(h.rename('dir/empty', 'a.txt'))).toBe('NOTDIR');
    expect(E(h.rename('a.txt', 'dir'))).toBe('ISDIR');
    expect(E(h.rename('a.txt', 'dir/'))).toBe('NOTDIR');
  });

  it('a directory into itself or below itself is EINVAL', () => {
    const h = new Harness(TREE);
    expect(E(h.rename('dir', 'dir/sub/inside'))).toBe('INVAL');
    expect(E(h.rename('dir', 'dir/inside'))).toBe('INVAL');
    expect(E(h.rename('dir', 'link-dir/sub/x'))).toBe('INVAL');
    expect(text(h, 'dir/sub/deep.txt')).toBe('deep');
  });

  it('onto itself, or onto another link of the same file, does nothing', () => {
    const h = new Harness(TREE);
    expect(h.rename('a.txt', 'a.txt')).toBe(0);
    expect(h.rename('dir', 'dir')).toBe(0);
    expect(h.link('a.txt', 'hard')).toBe(0);
    expect(h.rename('a.txt', 'hard')).toBe(0);
    expect(exists(h, 'a.txt')).toBe(true);
    expect(exists(h, 'hard')).toBe(true);
  });

  it('error paths', () => {
    const h = new Harness(TREE);
    expect(E(h.rename('missing', 'x'))).toBe('NOENT');
    expect(E(h.rename('a.txt', 'nodir/x'))).toBe('NOENT');
    expect(E(h.rename('a.txt', 'b.txt/x'))).toBe('NOTDIR');
    expect(E(h.rename('a.txt/', 'x'))).toBe('NOTDIR');
    expect(E(h.rename('link-dir/', 'x'))).toBe('NOTDIR');
    expect(exists(h, 'link-dir')).toBe(true);
    expect(exists(h, 'dir')).toBe(true);
    expect(E(h.rename('.', 'x'))).toBe('BUSY');
    expect(E(h.rename('a.txt', '.'))).toBe('BUSY');
    expect(text(h, 'a.txt')).toBe('alpha');
  });

  it('across two filesystems is EXDEV; across two fds of one filesystem works', () => {
    const other = MemoryDirectory.from({ o: 'other' });
    const h = new Harness(TREE, { preopens: { '/': MemoryDirectory.from(TREE), '/other': other } });
    expect(E(h.rename('a.txt', 'moved', 3, 4))).toBe('XDEV');
    expect(E(h.link('a.txt', 'moved', false, 3, 4))).toBe('XDEV');
    const d = h.openDir('dir');
    expect(h.rename('a.txt', 'moved', 3, d)).toBe(0);
    expect(h.pathStat('dir/moved').errno).toBe(0);
  });

  it('needs PATH_RENAME_SOURCE on the source and PATH_RENAME_TARGET on the target', () => {
    const h = new Harness(TREE);
    const d = h.openDir('dir');
    expect(h.p.fd_fdstat_set_rights(d, BigInt(RIGHTS_DIR & ~Rights.PATH_RENAME_TARGET), 0n)).toBe(0);
    expect(E(h.rename('a.txt', 'm', 3, d))).toBe('NOTCAPABLE');
    expect(h.rename('x.txt', 'm', d, 3)).toBe(0);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_RENAME_SOURCE), 0n)).toBe(0);
    expect(E(h.rename('a.txt', 'z'))).toBe('NOTCAPABLE');
  });
});

describe('path_link', () => {
  it('a hard link shares the file: nlink 2, writes seen through both names', () => {
    const h = new Harness(TREE);
    expect(h.link('a.txt', 'dir/hard')).toBe(0);
    expect(h.pathStat('a.txt').st.nlink).toBe(2n);
    expect(h.pathStat('dir/hard').st.ino).toBe(h.pathStat('a.txt').st.ino);
    h.write(h.open('dir/hard'), 'A');
    expect(text(h, 'a.txt')).toBe('Alpha');
    expect(h.unlink('a.txt')).toBe(0);
    expect(text(h, 'dir/hard')).toBe('Alpha');
    expect(h.pathStat('dir/hard').st.nlink).toBe(1n);
  });

  it('a symlink source: linked itself without SYMLINK_FOLLOW, its target with it', () => {
    const h = new Harness(TREE);
    expect(h.link('link-a', 'l1', false)).toBe(0);
    expect(h.pathStat('l1', false).st.filetype).toBe(Filetype.SYMBOLIC_LINK);
    expect(h.link('link-a', 'l2', true)).toBe(0);
    expect(h.pathStat('l2', false).st.filetype).toBe(Filetype.REGULAR_FILE);
    expect(h.pathStat('l2').st.ino).toBe(h.pathStat('a.txt').st.ino);
  });

  it('error paths', () => {
    const h = new Harness(TREE);
    expect(E(h.link('dir', 'd2'))).toBe('PERM');
    expect(E(h.link('missing', 'x'))).toBe('NOENT');
    expect(E(h.link('dangling', 'x', true))).toBe('NOENT');
    expect(E(h.link('a.txt', 'b.txt'))).toBe('EXIST');
    expect(E(h.link('a.txt', 'dangling'))).toBe('EXIST');
    expect(E(h.link('a.txt', 'dir'))).toBe('EXIST');
    expect(E(h.link('a.txt', 'nodir/x'))).toBe('NOENT');
    expect(E(h.link('a.txt/', 'x'))).toBe('NOTDIR');
    expect(E(h.link('a.txt', 'x/'))).toBe('NOENT');
    expect(exists(h, 'x')).toBe(false);
    expect(h.pathStat('a.txt').st.nlink).toBe(1n);
  });

  it('needs PATH_LINK_SOURCE and PATH_LINK_TARGET', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_LINK_TARGET), 0n)).toBe(0);
    expect(E(h.link('a.txt', 'x'))).toBe('NOTCAPABLE');
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~(Rights.PATH_LINK_TARGET | Rights.PATH_LINK_SOURCE)), 0n)).toBe(0);
    expect(E(h.link('a.txt', 'x'))).toBe('NOTCAPABLE');
  });
});

describe('path_symlink / path_readlink', () => {
  it('makes a link that reads back exactly; readlink writes only the target bytes', () => {
    const h = new Harness(TREE);
    expect(h.symlink('sub/deep.txt', 'dir/mine')).toBe(0);
    expect(dec(h.read(h.open('dir/mine'), 10).data)).toBe('deep');
    h.reset();
    const [p, l] = h.put('dir/mine');
    poison(h);
    h.bytes.set(enc('dir/mine'), p);
    expect(h.p.path_readlink(3, p, l, 200, 100, 64)).toBe(0);
    expect(h.u32(64)).toBe(12);
    expect(dec(h.get(200, 12))).toBe('sub/deep.txt');
    expect(h.bytes[212]).toBe(0xa5);
  });

  it('readlink truncates to the buffer (as readlink(2)), and a zero-size buffer reads 0 bytes', () => {
    const h = new Harness(TREE);
    h.reset();
    const [p, l] = h.put('link-deep');
    poison(h);
    h.bytes.set(enc('link-deep'), p);
    expect(h.p.path_readlink(3, p, l, 200, 7, 64)).toBe(0);
    expect(h.u32(64)).toBe(7);
    expect(dec(h.get(200, 7))).toBe('dir/sub');
    expect(h.bytes[207]).toBe(0xa5);
    expect(h.p.path_readlink(3, p, l, 300, 0, 64)).toBe(0);
    expect(h.u32(64)).toBe(0);
    expect(h.bytes[300]).toBe(0xa5);
  });

  it('readlink reads the last component through links on the way', () => {
    const h = new Harness({ ...TREE, dir: { ...(TREE.dir as Tree), inner: { symlink: 'x.txt' } } });
    expect(h.readlink('link-dir/inner').target).toBe('x.txt');
  });

  it('readlink errors: not a link EINVAL, missing ENOENT, bad buffers EFAULT', () => {
    const h = new Harness(TREE);
    expect(E(h.readlink('a.txt').errno)).toBe('INVAL');
    expect(E(h.readlink('dir').errno)).toBe('INVAL');
    expect(E(h.readlink('missing').errno)).toBe('NOENT');
    // A trailing slash makes the link a directory lookup: a.txt is no directory.
    expect(E(h.readlink('link-a/').errno)).toBe('NOTDIR');
    h.reset();
    const [p, l] = h.put('link-a');
    expect(E(h.p.path_readlink(3, p, l, PAGE - 2, 10, 64))).toBe('FAULT');
    expect(E(h.p.path_readlink(3, p, l, 200, 10, PAGE - 1))).toBe('FAULT');
  });

  it('symlink errors: existing names EEXIST, an empty target ENOENT, missing parent ENOENT', () => {
    const h = new Harness(TREE);
    for (const p of ['a.txt', 'dir', 'link-a', 'dangling', '.']) expect([p, E(h.symlink('t', p))]).toEqual([p, 'EXIST']);
    expect(E(h.symlink('', 'empty-target'))).toBe('NOENT');
    expect(E(h.symlink('t', 'nodir/l'))).toBe('NOENT');
    expect(E(h.symlink('t', 'a.txt/l'))).toBe('NOTDIR');
    expect(exists(h, 'empty-target')).toBe(false);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_SYMLINK), 0n)).toBe(0);
    expect(E(h.symlink('t', 'new'))).toBe('NOTCAPABLE');
  });
});

describe('path_filestat_get / path_filestat_set_times', () => {
  it('writes a full filestat (padding zeroed) for files, directories and links', () => {
    const h = new Harness(TREE);
    h.reset();
    const [p, l] = h.put('dir');
    poison(h);
    h.bytes.set(enc('dir'), p);
    expect(h.p.path_filestat_get(3, 0, p, l, 512)).toBe(0);
    const st = h.filestatAt(512);
    expect(st.filetype).toBe(Filetype.DIRECTORY);
    expect(st.dev).toBe(1n);
    expect(st.nlink).toBe(4n);
    expect([...h.get(512 + 17, 7)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(h.bytes[576]).toBe(0xa5);
    expect(h.pathStat('a.txt').st).toMatchObject({ filetype: Filetype.REGULAR_FILE, size: 5n, nlink: 1n });
    expect(h.pathStat('link-deep', false).st).toMatchObject({ filetype: Filetype.SYMBOLIC_LINK, size: 16n });
    expect(h.pathStat('link-deep', true).st).toMatchObject({ filetype: Filetype.REGULAR_FILE, size: 4n });
    expect(h.pathStat('.').st.ino).not.toBe(h.pathStat('dir').st.ino);
  });

  it('errors: ENOENT, ENOTDIR, a bad result pointer EFAULT, needs PATH_FILESTAT_GET', () => {
    const h = new Harness(TREE);
    expect(E(h.pathStat('missing').errno)).toBe('NOENT');
    expect(E(h.pathStat('dangling', true).errno)).toBe('NOENT');
    expect(h.pathStat('dangling', false).errno).toBe(0);
    expect(E(h.pathStat('a.txt/x').errno)).toBe('NOTDIR');
    h.reset();
    const [p, l] = h.put('a.txt');
    expect(E(h.p.path_filestat_get(3, 0, p, l, PAGE - 63))).toBe('FAULT');
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_FILESTAT_GET), 0n)).toBe(0);
    expect(E(h.pathStat('a.txt').errno)).toBe('NOTCAPABLE');
  });

  it('set_times: exact values, NOW, through a link or on the link itself', () => {
    const h = new Harness(TREE);
    const set = (path: string, follow: boolean, a: bigint, m: bigint, flags: number) => {
      h.reset();
      const [p, l] = h.put(path);
      return h.p.path_filestat_set_times(3, follow ? Lookupflags.SYMLINK_FOLLOW : 0, p, l, a, m, flags);
    };
    expect(set('a.txt', true, 11n, 22n, Fstflags.ATIM | Fstflags.MTIM)).toBe(0);
    expect(h.pathStat('a.txt').st).toMatchObject({ atim: 11n, mtim: 22n });
    expect(set('link-a', true, 0n, 33n, Fstflags.MTIM)).toBe(0);
    expect(h.pathStat('a.txt').st).toMatchObject({ atim: 11n, mtim: 33n });
    expect(set('link-a', false, 44n, 0n, Fstflags.ATIM)).toBe(0);
    expect(h.pathStat('link-a', false).st.atim).toBe(44n);
    expect(h.pathStat('a.txt').st.atim).toBe(11n);
    const before = BigInt(Date.now()) * 1_000_000n - 5_000_000n;
    expect(set('dir', true, 0n, 0n, Fstflags.MTIM_NOW)).toBe(0);
    expect(h.pathStat('dir').st.mtim).toBeGreaterThanOrEqual(before);
    expect(E(set('a.txt', true, 1n, 1n, Fstflags.ATIM | Fstflags.ATIM_NOW))).toBe('INVAL');
    expect(E(set('a.txt', true, 1n, 1n, Fstflags.MTIM | Fstflags.MTIM_NOW))).toBe('INVAL');
    expect(E(set('a.txt', true, 1n, 1n, 16))).toBe('INVAL');
    expect(h.pathStat('a.txt').st).toMatchObject({ atim: 11n, mtim: 33n });
    expect(E(set('missing', true, 1n, 1n, Fstflags.ATIM))).toBe('NOENT');
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.PATH_FILESTAT_SET_TIMES), 0n)).toBe(0);
    expect(E(set('a.txt', true, 1n, 1n, Fstflags.ATIM))).toBe('NOTCAPABLE');
  });
});

describe('every path call: bad fds and bad path pointers', () => {
  it.each(PATH_CALLS)('%s: EBADF for a never-opened, closed or negative fd', (_name, call) => {
    const h = new Harness(TREE);
    const f = h.open('b.txt');
    h.p.fd_close(f);
    const before = h.root.toTree();
    for (const fd of [f, 50, -1, 0x7fffffff]) expect(E(call(h, 'a.txt', fd))).toBe('BADF');
    expect(h.root.toTree()).toEqual(before);
  });

  it('a path pointer out of bounds is EFAULT for each call', () => {
    const h = new Harness(TREE);
    const bad = PAGE - 1;
    const results = {
      mkdir: h.p.path_create_directory(3, bad, 4),
      rmdir: h.p.path_remove_directory(3, bad, 4),
      unlink: h.p.path_unlink_file(3, bad, 4),
      rename: h.p.path_rename(3, bad, 4, 3, 100, 1),
      link: h.p.path_link(3, 0, bad, 4, 3, 100, 1),
      symlinkTarget: h.p.path_symlink(bad, 4, 3, 100, 1),
      symlinkPath: h.p.path_symlink(100, 1, 3, bad, 4),
      readlink: h.p.path_readlink(3, bad, 4, 200, 10, 64),
      stat: h.p.path_filestat_get(3, 0, bad, 4, 200),
      times: h.p.path_filestat_set_times(3, 0, bad, 4, 0n, 0n, 0),
    };
    for (const [k, v] of Object.entries(results)) expect([k, E(v)]).toEqual([k, 'FAULT']);
    expect(h.root.toTree()).toEqual(MemoryDirectory.from(TREE).toTree());
  });
});

it('Errno names used here exist', () => {
  expect(Errno.NOTCAPABLE).toBe(76);
});

describe('lookupflags', () => {
  it('an unknown lookupflags bit is EINVAL for every call that takes lookupflags, and nothing changes', () => {
    const h = new Harness({ 'f.txt': 'x' });
    const [p, pl] = h.put('f.txt');
    const [q, ql] = h.put('g.txt');
    const out = h.alloc(64);
    expect(E(h.p.path_open(3, 2, p, pl, Oflags.CREAT, 0n, 0n, 0, out))).toBe(E(Errno.INVAL));
    expect(E(h.p.path_filestat_get(3, 2, p, pl, out))).toBe(E(Errno.INVAL));
    expect(E(h.p.path_filestat_set_times(3, 2, p, pl, 0n, 0n, 0))).toBe(E(Errno.INVAL));
    expect(E(h.p.path_link(3, 2, p, pl, 3, q, ql))).toBe(E(Errno.INVAL));
    expect(Object.keys(h.root.toTree())).toEqual(['f.txt']);
  });
});
