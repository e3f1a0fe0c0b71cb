// Reproducible tar (POSIX ustar, PAX records for long names) and gzip for image layers, and a small
// reader for the tarballs the build consumes (npm packages, Debian data archives: ustar, GNU, PAX).
import * as zlib from 'zlib';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

/** One tar entry. Paths are relative (`usr/bin/node`), without a leading `./` or `/`, and without a trailing `/`. */
export interface TarEntry {
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits, including setuid/setgid/sticky (e.g. 0o1777). */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** File content (type `file`). */
  readonly data?: Buffer;
  /** Target of a symlink, or the path of the hard link's original (relative, like `path`). */
  readonly linkname?: string;
}

const BLOCK = 512;
const TYPEFLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', dir: '5' };

/** Normalizes an archive path: no leading `./` or `/`, no trailing `/`. */
export function normalizePath(p: string): string {
  let s = p.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  if (s === '.') s = '';
  return s;
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width - 1} octal digits`);
  return digits.padStart(width - 1, '0') + '\0';
}

function put(header: Buffer, offset: number, width: number, value: string | Buffer): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length > width) throw new Error(`tar: field too long: ${bytes.toString()}`);
  bytes.copy(header, offset);
}

/** Splits a path into ustar's prefix (155) and name (100), or returns undefined when it cannot. */
function splitUstar(p: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(p) <= 100) return { prefix: '', name: p };
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name };
  }
  return undefined;
}

function header(opts: { name: string; prefix: string; mode: number; uid: number; gid: number; size: number; mtime: number; typeflag: string; linkname: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  put(h, 0, 100, opts.name);
  put(h, 100, 8, octal(opts.mode, 8));
  put(h, 108, 8, octal(opts.uid, 8));
  put(h, 116, 8, octal(opts.gid, 8));
  put(h, 124, 12, octal(opts.size, 12));
  put(h, 136, 12, octal(opts.mtime, 12));
  put(h, 148, 8, '        '); // checksum placeholder: eight spaces
  put(h, 156, 1, opts.typeflag);
  put(h, 157, 100, opts.linkname);
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  // uname/gname stay empty: extraction then uses the numeric ids, whatever the host's user names.
  put(h, 329, 8, octal(0, 8));
  put(h, 337, 8, octal(0, 8));
  put(h, 345, 155, opts.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function pad(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** A PAX record `"<len> <key>=<value>\n"`, where len counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + 1;
  while (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${body}`;
}

/**
 * Writes a tar archive: entries sorted by path (so parents precede children), every mtime `mtime`,
 * owners numeric, no user or group names; two zero blocks at the end. Directories are written with a
 * trailing `/`. Duplicate paths are an error.
 */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Buffer[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (i > 0 && sorted[i - 1].path === e.path) throw new Error(`tar: duplicate entry ${e.path}`);
    if (e.path === '' || e.path !== normalizePath(e.path)) throw new Error(`tar: bad path ${JSON.stringify(e.path)}`);
    const fullPath = e.type === 'dir' ? `${e.path}/` : e.path;
    const data = e.type === 'file' ? e.data ?? Buffer.alloc(0) : Buffer.alloc(0);
    const linkname = e.linkname ?? '';
    const pax: string[] = [];
    let split = splitUstar(fullPath);
    if (!split) {
      pax.push(paxRecord('path', fullPath));
      split = { prefix: '', name: fullPath.slice(0, 99) };
    }
    let link = linkname;
    if (Buffer.byteLength(linkname) > 100) {
      pax.push(paxRecord('linkpath', linkname));
      link = linkname.slice(0, 99);
    }
    if (pax.length > 0) {
      const body = Buffer.from(pax.join(''), 'utf8');
      const paxName = `PaxHeaders/${split.name}`.slice(0, 100);
      chunks.push(header({ name: paxName, prefix: '', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, typeflag: 'x', linkname: '' }), body, pad(body.length));
    }
    chunks.push(
      header({ ...split, mode: e.mode & 0o7777, uid: e.uid ?? 0, gid: e.gid ?? 0, size: data.length, mtime, typeflag: TYPEFLAG[e.type], linkname: link }),
    );
    if (data.length > 0) chunks.push(data, pad(data.length));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

/** A parsed entry of {@link readTar}. */
export interface ReadEntry extends TarEntry {
  readonly data: Buffer;
}

function cstring(buf: Buffer, offset: number, width: number): string {
  const slice = buf.subarray(offset, offset + width);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? width : nul).toString('utf8');
}

function numeric(buf: Buffer, offset: number, width: number): number {
  if (buf[offset] & 0x80) {
    // GNU base-256: big-endian, the first byte's top bit marks it.
    let v = buf[offset] & 0x7f;
    for (let i = 1; i < width; i++) v = v * 256 + buf[offset + i];
    return v;
  }
  const s = cstring(buf, offset, width).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space === -1) break;
    const len = parseInt(body.subarray(i, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Reads a tar archive (ustar, GNU long names, PAX path/linkpath/size). Character and block devices and FIFOs are skipped. */
export function readTar(archive: Buffer): ReadEntry[] {
  const entries: ReadEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (offset + BLOCK <= archive.length) {
    const h = archive.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== numeric(h, 148, 8)) throw new Error(`tar: bad header checksum at offset ${offset}`);
    const typeflag = String.fromCharCode(h[156] || 0x30);
    let size = numeric(h, 124, 12);
    if (pax.size !== undefined) size = parseInt(pax.size, 10);
    const dataStart = offset + BLOCK;
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L') { longName = cstring(data, 0, data.length); continue; }
    if (typeflag === 'K') { longLink = cstring(data, 0, data.length); continue; }
    if (typeflag === 'x') { pax = { ...pax, ...parsePax(data) }; continue; }
    if (typeflag === 'g') continue;
    const magic = cstring(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? cstring(h, 345, 155) : '';
    const rawName = pax.path ?? longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
    const linkname = pax.linkpath ?? longLink ?? cstring(h, 157, 100);
    longName = longLink = undefined;
    pax = {};
    const type: EntryType | undefined = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'hardlink' : undefined;
    if (!type) continue;
    entries.push({
      path: normalizePath(rawName),
      type,
      mode: numeric(h, 100, 8) & 0o7777,
      uid: numeric(h, 108, 8),
      gid: numeric(h, 116, 8),
      data: type === 'file' ? Buffer.from(data) : Buffer.alloc(0),
      linkname: type === 'hardlink' ? normalizePath(linkname) : type === 'symlink' ? linkname : undefined,
    });
  }
  return entries;
}

/**
 * Gzip with a fixed header: no file name, mtime 0, OS byte 3 (Unix), whatever platform runs the build.
 * The deflate stream is zlib's at level 6 (level 9 took twice as long for 0.3% less on the Node binary).
 * Node 20 and Node 24 gave the same bytes here; another zlib build may deflate differently, which changes
 * the compressed digest but never the uncompressed one (the layer's diff_id).
 */
export function gzipFixed(data: Buffer): Buffer {
  const out = zlib.gzipSync(data, { level: 6 });
  out.writeUInt32LE(0, 4); // MTIME
  out[8] = 0; // XFL
  out[9] = 3; // OS: Unix
  return out;
}
