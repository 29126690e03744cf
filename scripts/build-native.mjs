#!/usr/bin/env node
// Builds refwasi's optional native addon (native/refwasi_native.c) with node-gyp, as the
// package's install script. It never fails the install: refwasi works without the addon
// (pure-JS NodeDirectory), so whatever stops the build, it prints one line saying why and
// exits 0. Nothing is downloaded: node-gyp is npm's own, and the Node headers must be on this
// machine (nodedir), since node-gyp would otherwise fetch them.
//
//   node scripts/build-native.mjs          (REFWASI_NATIVE=0 skips it)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const native = path.join(root, 'native');
const addon = path.join(native, 'build', 'Release', 'refwasi_native.node');

function skip(why) {
  console.log(`refwasi: native addon not built (${why}); NodeDirectory uses its pure-JS path`);
  process.exit(0);
}

/** A directory holding include/node/node_api.h and common.gypi: what node-gyp's --nodedir needs offline. */
function localNodedir() {
  const candidates = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.filter(Boolean).map((d) => path.resolve(d)).find((d) =>
    fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')) && fs.existsSync(path.join(d, 'include', 'node', 'common.gypi')));
}

/** npm's bundled node-gyp: npm names it in lifecycle scripts; otherwise found next to npm itself. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    const npm = execFileSync(process.platform === 'win32' ? 'where' : 'which', ['npm'], { encoding: 'utf8' }).split('\n')[0].trim();
    candidates.push(path.join(path.dirname(fs.realpathSync(npm)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // No npm on PATH: only the environment's answer is left.
  }
  return candidates.filter(Boolean).find((f) => fs.existsSync(f));
}

// No options: a flag given by hand is a mistake worth saying (npm passes none).
try {
  parseArgs({ args: process.argv.slice(2), options: {}, strict: true });
} catch (error) {
  process.stderr.write(`${error.message}; usage: node scripts/build-native.mjs (it takes no options)\n`);
  process.exit(2);
}
if (process.env.REFWASI_NATIVE === '0') skip('REFWASI_NATIVE=0');
// The addon does the *at() calls of NodeDirectory's fd mode, which only Linux has (/proc/self/fd).
if (process.platform !== 'linux') skip(`${process.platform} uses the pure-JS path mode`);
if (!fs.existsSync(path.join(native, 'binding.gyp'))) skip('no native/ sources in this copy');
const nodedir = localNodedir();
if (!nodedir) skip('no local Node headers with common.gypi; node-gyp would download them');
const gyp = nodeGyp();
if (!gyp) skip("npm's node-gyp not found");

const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', native], { encoding: 'utf8', timeout: 180_000 });
if (r.status !== 0) {
  // The compiler's own complaint if there is one, else node-gyp's summary: one line either way.
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error?.message ?? ''}`.split('\n').map((l) => l.trim());
  const why = lines.find((l) => /\berror\b/i.test(l) && !/^gyp (info|ERR! (stack|cwd|node -v|node-gyp -v|command|System|not ok))/.test(l))
    ?? lines.find((l) => /^gyp ERR! stack Error/.test(l)) ?? `status ${r.status}`;
  skip(`node-gyp failed: ${why}`);
}
try {
  createRequire(import.meta.url)(addon);
} catch (error) {
  fs.rmSync(addon, { force: true });
  skip(`it built but does not load: ${error.message.split('\n')[0]}`);
}
console.log(`refwasi: native addon built (${path.relative(root, addon)})`);
