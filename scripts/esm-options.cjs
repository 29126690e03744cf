// esbuild options for refwasi's ESM output, shared by scripts/build.mjs and the test that
// checks the browser entry reaches no Node built-in (tests/browser-bundle.test.ts).
// The two entries share chunks: one copy of the core for users who import both.
module.exports = {
  entryPoints: { index: 'src/index.ts', node: 'src/node.ts' },
  outdir: 'dist/esm',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['node:*'],
  // Where each output file is: the threads kernel (src/threads/remote-kernel.ts) starts its
  // worker from the CommonJS file next to dist/esm, which has no __filename of its own here.
  banner: { js: 'const __refwasi_esm_url = import.meta.url;' },
};
