// File operations the staging server and fetch-staged share to make a file appear whole or not at
// all: complete writes, an fsync of the folder after a rename, and streamed hashing.
import { createHash } from 'crypto';
import * as fs from 'fs';

/** Writes all of `chunk` at the handle's position (one write may write less than asked). */
export async function writeFully(handle: fs.promises.FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Writes all of `buffers`, in order, at the handle's position with one writev per round: no copy
 * into a joined buffer (a gather write of the received chunks as they are).
 */
export async function writeAllGathered(handle: fs.promises.FileHandle, buffers: readonly Buffer[]): Promise<void> {
  let rest = [...buffers];
  while (rest.length) {
    let { bytesWritten } = await handle.writev(rest);
    // A short write: drop what went out, keep the rest of a partly written buffer.
    while (rest.length && bytesWritten >= rest[0].length) bytesWritten -= rest.shift()!.length;
    if (rest.length && bytesWritten > 0) rest[0] = rest[0].subarray(bytesWritten);
  }
}

/** Makes a rename or link in `directory` durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL): the rename is atomic all the same.
  } finally {
    await handle.close();
  }
}

/** The SHA-256 of a file, streamed; undefined when it cannot be read (absent, a folder…). */
export async function sha256OfFile(file: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}
