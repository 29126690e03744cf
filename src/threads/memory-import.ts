/** The memory a module imports: where from, and its limits in pages. */
export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

/**
 * Reads a module's memory import from its binary. The JS API lists imports without their
 * limits, and a wasm32-wasip1-threads program imports a shared memory the host must create
 * with exactly the limits the module declares (as wasmtime does from the module).
 */
export function memoryImport(bytes: Uint8Array): MemoryImport | null {
  let pos = 8; // magic and version
  const byte = (): number => {
    if (pos >= bytes.length) throw new RangeError('truncated module');
    return bytes[pos++];
  };
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const name = (): string => {
    const len = leb();
    const s = new TextDecoder().decode(bytes.subarray(pos, pos + len));
    pos += len;
    return s;
  };
  const limits = (): { flags: number; initial: number; maximum: number | undefined } => {
    const flags = byte();
    const initial = leb();
    return { flags, initial, maximum: flags & 1 ? leb() : undefined };
  };
  while (pos < bytes.length) {
    const id = byte();
    const size = leb();
    const end = pos + size;
    if (id !== 2) {
      pos = end;
      continue;
    }
    const count = leb();
    for (let i = 0; i < count; i++) {
      const module = name();
      const field = name();
      const kind = byte();
      if (kind === 0) leb(); // function: type index
      else if (kind === 1) { byte(); limits(); } // table: reftype, limits
      else if (kind === 2) {
        const l = limits();
        return { module, name: field, initial: l.initial, maximum: l.maximum, shared: (l.flags & 2) !== 0 };
      } else if (kind === 3) { byte(); byte(); } // global: valtype, mutability
      else leb(); // tag: attribute, type index
    }
    return null;
  }
  return null;
}

/** True if the module is a wasi-threads program: it imports `wasi.thread-spawn`. */
export function importsThreadSpawn(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.module === 'wasi' && i.name === 'thread-spawn');
}
