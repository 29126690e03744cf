#!/usr/bin/env node
'use strict';
// A program with threads finishes later: its status is a promise.
Promise.resolve(require('../dist/cjs/cli.js').main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
