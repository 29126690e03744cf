// Runs the sandbox escape suite (tests/helpers/escape-suite.ts, bundled by
// tests/browser/escape.test.ts and handed over as source) over OPFSDirectory, in the
// dedicated worker OPFSDirectory needs. Every attempt gets a fresh world in its own
// directory of one mount; the mount's own counts say whether a handle leaked.
import { OPFSDirectory } from '/dist/esm/index.mjs';

let suite = null;

/**
 * OPFS has no symlinks (symlink() is EPERM), so the world is built without the ones the
 * suite plants: during the build, symlink() does nothing. The guest never sees this wrapper:
 * its preopen is the real OPFS directory, where symlink() is EPERM as always.
 */
function withoutSymlinks(dir) {
  return new Proxy(dir, {
    get(target, key) {
      if (key === 'symlink') return () => {};
      if (key === 'lookup') {
        return (name) => {
          const inode = target.lookup(name);
          return inode && inode.kind === 'directory' ? withoutSymlinks(inode) : inode;
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const commands = {
  async load(code) {
    suite = await import(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    return suite.ESCAPE_ATTEMPTS.map((a) => a.name);
  },

  async run() {
    const top = await navigator.storage.getDirectory();
    await top.removeEntry('escape', { recursive: true }).catch(() => undefined);
    const mount = await OPFSDirectory.open('escape');
    const reports = [];
    let n = 0;
    for (const attempt of suite.ESCAPE_ATTEMPTS) {
      const name = `world-${n++}`;
      const factory = () => {
        mount.mkdir(name);
        const real = mount.lookup(name);
        const before = { open: mount.stats().open, doubleCloses: mount.doubleCloses };
        return {
          root: withoutSymlinks(real),
          absolutePath: '',
          preopen: () => real.lookup('sandbox'),
          leaks: () => {
            const problems = [];
            const open = mount.stats().open - before.open;
            if (open !== 0) problems.push(`leak: ${open} OPFS access handles left open`);
            if (mount.doubleCloses !== before.doubleCloses) problems.push('leak: an OPFS access handle was closed twice');
            return problems;
          },
        };
      };
      let report;
      try {
        report = await suite.runEscapeAttempt(factory, attempt);
      } catch (err) {
        report = { failures: [`threw: ${String(err && err.stack ? err.stack : err)}`], checks: 0 };
      }
      reports.push({ name: attempt.name, ...report });
    }
    const stats = mount.unmount();
    return { reports, stats, doubleCloses: mount.doubleCloses };
  },

  /** An attempt that itself writes outside the sandbox: the runner must see it. */
  async canary() {
    const top = await navigator.storage.getDirectory();
    await top.removeEntry('escape-canary', { recursive: true }).catch(() => undefined);
    const mount = await OPFSDirectory.open('escape-canary');
    let real = null;
    const factory = () => {
      mount.mkdir('world');
      real = mount.lookup('world');
      return { root: withoutSymlinks(real), absolutePath: '', preopen: () => real.lookup('sandbox') };
    };
    const attempt = {
      name: 'canary',
      run(c) {
        c.eq('nothing', 0, 0);
        real.openFile('planted-by-canary.txt', { read: false, write: true, create: true, exclusive: true, truncate: false }).close();
      },
    };
    const report = await suite.runEscapeAttempt(factory, attempt);
    mount.unmount();
    return { name: 'canary', ...report };
  },
};

self.onmessage = async (e) => {
  const { id, cmd, arg } = e.data;
  try {
    if (!(cmd in commands)) throw new Error(`no command ${cmd}`);
    self.postMessage({ id, ok: true, value: await commands[cmd](arg) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err && err.stack ? err.stack : err) });
  }
};
