// The other end of the round-trip floors (worker.js's roundtrip()): answers each request on
// a SharedArrayBuffer and does nothing else, so what is timed is the wake-up and hand-over
// alone. State slot 0: 0 idle, 1 request, 2 answer, 3 stop; slot 1 counts the answers.
let i32;
let spins = 0;

function answer() {
  i32[1]++;
  Atomics.store(i32, 0, 2);
  Atomics.notify(i32, 0);
}

/** Blocks in Atomics.wait between requests (after `spins` loads of the state, if any). */
function syncLoop() {
  for (;;) {
    let s = Atomics.load(i32, 0);
    for (let i = 0; i < spins && s !== 1 && s !== 3; i++) s = Atomics.load(i32, 0);
    if (s === 3) return;
    if (s === 1) answer();
    else Atomics.wait(i32, 0, s);
  }
}

/** Waits with Atomics.waitAsync, so each request reaches it through its event loop. */
async function asyncLoop() {
  for (;;) {
    const s = Atomics.load(i32, 0);
    if (s === 3) return;
    if (s === 1) {
      answer();
      continue;
    }
    const w = Atomics.waitAsync(i32, 0, s);
    if (w.async) await w.value;
  }
}

self.onmessage = (e) => {
  i32 = new Int32Array(e.data.sab);
  spins = e.data.spins;
  self.postMessage('ready');
  if (e.data.mode === 'waitAsync') void asyncLoop();
  else setTimeout(syncLoop, 0); // after 'ready' is out: the loop never yields
};
