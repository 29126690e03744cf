// Drops custom sections from a wasm binary: the reproducible builds of bench/ and examples/
// drop "producers", which names the exact compiler build.

/** Drops the named custom sections (id 0) from a wasm binary. */
export function stripCustom(bytes, names) {
  const leb = (pos) => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++];
      value |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return [value >>> 0, pos];
    }
  };
  const parts = [bytes.subarray(0, 8)];
  for (let pos = 8; pos < bytes.length;) {
    const [size, body] = leb(pos + 1);
    const end = body + size;
    let keep = true;
    if (bytes[pos] === 0) {
      const [len, at] = leb(body);
      keep = !names.includes(bytes.subarray(at, at + len).toString());
    }
    if (keep) parts.push(bytes.subarray(pos, end));
    pos = end;
  }
  return Buffer.concat(parts);
}
