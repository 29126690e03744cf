// A dedicated worker that runs threaded fixtures (OPFS preopens need one: sync access
// handles exist only in workers). Its event loop is free, so it can be the kernel.
import { runThreadFixture } from './threads.js';

self.onmessage = async (e) => {
  const { id, arg } = e.data;
  try {
    self.postMessage({ id, ok: true, value: await runThreadFixture(arg) });
  } catch (error) {
    self.postMessage({ id, ok: false, error: String(error?.message ?? error) });
  }
};
