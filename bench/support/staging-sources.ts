// The files `npm run bench:staging` uploads: sizes and content derived from a seed, so every run (and
// every machine) moves the same bytes. Generated once into a cache folder and reused while they match;
// files of other settings are deleted from it, so the cache holds one set.
import { createCipheriv, createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { sha256OfFile, writeFully } from '../../lib/staging-server/durable-files';

/** One file to upload, with its digest. */
export interface SourceFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** The shape of the set. */
export interface SourceSetOptions {
  readonly files: number;
  /** Smallest and largest size, bytes; sizes between are log-uniform. */
  readonly minBytes: number;
  readonly maxBytes: number;
  /** How many files are exactly `maxBytes` (the rest are drawn). */
  readonly filesAtMax: number;
  readonly seed: number;
}

/** How the cache was used. */
export interface SourceSetReport {
  readonly generated: number;
  readonly reused: number;
  readonly generatedBytes: number;
  readonly seconds: number;
}

const CHUNK_BYTES = 2 ** 20;
const MANIFEST = 'manifest.json';

/** The sizes of the set, in upload order (shuffled, so the largest files are not all at one end of the queue). */
export function sourceSizes(options: SourceSetOptions): number[] {
  const random = mulberry32(options.seed);
  const logMin = Math.log(options.minBytes);
  const logMax = Math.log(options.maxBytes);
  const sizes = Array.from({ length: options.files }, (_, i) =>
    i < options.filesAtMax ? options.maxBytes : Math.round(Math.exp(logMin + random() * (logMax - logMin))));
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j], sizes[i]];
  }
  return sizes;
}

/**
 * The set in `directory`: each file reused when its size matches and its content still hashes to the
 * recorded digest (reading it also puts it in the page cache, so both servers' uploads read from memory),
 * generated otherwise.
 */
export async function prepareSources(directory: string, options: SourceSetOptions): Promise<{ files: SourceFile[]; report: SourceSetReport }> {
  const started = Date.now();
  fs.mkdirSync(directory, { recursive: true });
  const manifestPath = path.join(directory, MANIFEST);
  const manifest: Record<string, string> = fs.existsSync(manifestPath) ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, string>) : {};
  const files: SourceFile[] = [];
  let generated = 0;
  let generatedBytes = 0;
  for (const [index, size] of sourceSizes(options).entries()) {
    const name = `s${options.seed}-${String(index).padStart(4, '0')}-${size}.bin`;
    const file = path.join(directory, name);
    const recorded = manifest[name];
    let sha256: string | undefined;
    if (recorded && fs.statSync(file, { throwIfNoEntry: false })?.size === size && (await sha256OfFile(file)) === recorded) {
      sha256 = recorded;
    } else {
      sha256 = await writeSource(file, size, options.seed, index);
      generated += 1;
      generatedBytes += size;
    }
    manifest[name] = sha256;
    files.push({ name, path: file, size, sha256 });
  }
  const kept = new Set(files.map((f) => f.name));
  for (const entry of fs.readdirSync(directory)) {
    if (entry !== MANIFEST && !kept.has(entry)) fs.rmSync(path.join(directory, entry), { force: true, recursive: true });
  }
  fs.writeFileSync(manifestPath, JSON.stringify(Object.fromEntries(files.map((f) => [f.name, f.sha256])), null, 1));
  return { files, report: { generated, reused: files.length - generated, generatedBytes, seconds: (Date.now() - started) / 1000 } };
}

/** Writes `size` bytes of AES-128-CTR keystream (key from the seed, counter from the file's index and size); returns their SHA-256. */
async function writeSource(file: string, size: number, seed: number, index: number): Promise<string> {
  const key = createHash('sha256').update(`sparkplane bench:staging seed ${seed}`).digest().subarray(0, 16);
  const iv = createHash('sha256').update(`file ${index} of ${size} bytes`).digest().subarray(0, 16);
  const keystream = createCipheriv('aes-128-ctr', key, iv);
  const zeros = Buffer.alloc(CHUNK_BYTES);
  const hash = createHash('sha256');
  const partial = `${file}.partial`;
  const handle = await fs.promises.open(partial, 'w');
  try {
    for (let left = size; left > 0; left -= CHUNK_BYTES) {
      const chunk = keystream.update(zeros.subarray(0, Math.min(left, CHUNK_BYTES)));
      hash.update(chunk);
      await writeFully(handle, chunk);
    }
  } finally {
    await handle.close();
  }
  fs.renameSync(partial, file);
  return hash.digest('hex');
}

/** A small seeded generator (mulberry32): the same sizes on every Node. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
