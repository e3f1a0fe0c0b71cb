// The files a user asks to stage: checked before anything is uploaded (a typo must not leave half a
// set staged), and hashed as a stream, so a jar of any size costs one read buffer of memory.
import { createHash } from 'crypto';
import * as fs from 'fs';

/** A local file that can be staged. */
export interface LocalFile {
  /** The path as the user gave it (the report names files this way). */
  readonly path: string;
  /** Its size in bytes when it was checked. */
  readonly size: number;
}

/** The read size of hashing and uploading: big enough for disk throughput, small enough for memory. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Checks that every path names a readable regular file (symbolic links followed). Resolves to the
 * files, or to one problem per bad path, each saying what is wrong with it.
 */
export async function checkLocalFiles(paths: readonly string[]): Promise<{ files: LocalFile[]; problems: string[] }> {
  const files: LocalFile[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    let stats: fs.Stats;
    try {
      stats = await fs.promises.stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `${path}: no such file` : `${path}: ${code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
      continue;
    }
    if (stats.isDirectory()) {
      problems.push(`${path}: is a directory; name the files in it instead`);
      continue;
    }
    if (!stats.isFile()) {
      problems.push(`${path}: not a regular file`);
      continue;
    }
    try {
      await fs.promises.access(path, fs.constants.R_OK);
    } catch {
      problems.push(`${path}: not readable (permission denied)`);
      continue;
    }
    files.push({ path, size: stats.size });
  }
  return { files, problems };
}

/**
 * The SHA-256 of a file, as lower-case hex, read as a stream. `onBytes` is told the running total
 * after each chunk (for a progress bar).
 */
export function sha256OfFile(path: string, onBytes: (bytesRead: number) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytesRead = 0;
    const stream = fs.createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    stream.on('data', (chunk: Buffer | string) => {
      hash.update(chunk);
      bytesRead += chunk.length;
      onBytes(bytesRead);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}
