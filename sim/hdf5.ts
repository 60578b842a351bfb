// h5wasm plumbing shared by the dataset writer and reader: loading the wasm once, keeping the
// HDF5 C library's diagnostics off the terminal, and telling apart why a file cannot be opened.
import fs, { closeSync, openSync, readSync, statSync } from 'node:fs';
import h5wasm from 'h5wasm/node';

export type H5File = InstanceType<typeof h5wasm.File>;
export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let h5Ready: Promise<unknown> | undefined;
/** h5wasm loads its wasm once per process (or worker). */
export async function loadHdf5(): Promise<typeof h5wasm> {
  h5Ready ??= h5wasm.ready;
  await h5Ready;
  return h5wasm;
}

/**
 * Run an h5wasm call with the HDF5 library's own error-stack dump ("HDF5-DIAG: ...") kept off the
 * user's terminal; the dump is returned so a caller can turn its key line into a clear message.
 * The C library writes to file descriptor 2 through Emscripten's node file system, i.e. through
 * fs.writeSync (not process.stderr), so that is what is intercepted for the duration of `fn`.
 */
export function quietHdf5<T>(fn: () => T): { value?: T; error?: unknown; diag: string } {
  const original = fs.writeSync;
  let diag = '';
  fs.writeSync = function (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number {
    if (fd !== 2) return (original as (...a: unknown[]) => number).call(fs, fd, data, ...rest);
    if (typeof data === 'string') {
      diag += data;
      return Buffer.byteLength(data);
    }
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : data.byteLength - offset;
    diag += Buffer.from(data.buffer, data.byteOffset + offset, length).toString();
    return length;
  } as typeof fs.writeSync;
  try {
    return { value: fn(), diag };
  } catch (error) {
    return { error, diag };
  } finally {
    fs.writeSync = original;
  }
}

/** The key line of an HDF5 error dump, as a reason a user can act on. */
export function hdf5Reason(diag: string): string {
  if (/truncated file/i.test(diag)) return 'the file is truncated (shorter than its header says; was a copy or collect cut off?)';
  if (/signature not found|Not an HDF5 file/i.test(diag)) return 'not an HDF5 file (no HDF5 signature; the file is corrupt or something else)';
  const minor = [...diag.matchAll(/minor: (.+)/g)].map((m) => m[1]).pop();
  return `HDF5 could not read it${minor ? ` (${minor})` : ''}; the file is corrupt`;
}

/**
 * Why a file cannot be an intact HDF5 file, from its superblock alone (HDF5's own diagnostics go
 * to the console, which is not always ours to read): no signature, or shorter than its recorded
 * end-of-file address. Undefined when the header looks intact.
 */
export function sniffHdf5(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    const size = statSync(path).size;
    if (n < 8 || head.subarray(0, 8).toString('latin1') !== '\x89HDF\r\n\x1a\n') {
      return size === 0 ? 'the file is empty' : 'not an HDF5 file (no HDF5 signature; the file is corrupt or something else)';
    }
    const version = head[8];
    // Superblock v0/v1 keep the offset size at byte 13 and the EOF address after base and free-space
    // addresses (v1 adds 4 bytes); v2/v3 keep the offset size at byte 9 and EOF after base and extension.
    const offSize = version <= 1 ? head[13] : head[9];
    const eofAt = version <= 1 ? 24 + (version === 1 ? 4 : 0) + 2 * offSize : 12 + 2 * offSize;
    if (offSize !== 8 || eofAt + 8 > n) return undefined;
    const eof = Number(head.readBigUInt64LE(eofAt));
    if (size < eof) return `the file is truncated (${size} bytes, its header says ${eof}; was a copy or a collect cut off?)`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}
