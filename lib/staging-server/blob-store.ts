// The staging server's storage: content-addressed files on one directory (the PersistentVolumeClaim).
// A blob's path is built only from a validated SHA-256, and a blob appears at its path only by an
// atomic link or rename of a complete, verified, fsynced temporary file: no reader ever sees half a
// file, and nothing a client sends can name a path outside the directory.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import { SHA256_HEX } from '../core/staging/protocol';
import { fsyncDirectory, writeAllGathered } from './durable-files';

/** Why an upload was refused. */
export type BlobStoreErrorKind = 'invalid_digest' | 'digest_mismatch' | 'too_large' | 'aborted';

/** An upload refused for a reason the client caused; its temporary file is already gone. */
export class BlobStoreError extends Error {
  constructor(readonly kind: BlobStoreErrorKind, message: string) {
    super(message);
    this.name = 'BlobStoreError';
  }
}

/** What a successful upload did. */
export interface PutResult {
  /** "created": the blob is new; "exists": it was already stored (the upload was verified, then discarded). */
  readonly status: 'created' | 'exists';
  /** Bytes received (the blob's size). */
  readonly size: number;
}

/** An open blob, streamed from a file descriptor: a sweep that deletes the blob meanwhile does not cut it short. */
export interface OpenBlob {
  readonly size: number;
  readonly stream: fs.ReadStream;
}

/** What a sweep found and did. */
export interface SweepReport {
  /** Blobs deleted because unused for longer than the time to live. */
  readonly evicted: number;
  readonly evictedBytes: number;
  /** Abandoned temporary files deleted. */
  readonly temporaryFilesDeleted: number;
  /** Blobs kept, and their bytes. */
  readonly blobs: number;
  readonly bytes: number;
}

/** Options of a blob store. */
export interface BlobStoreOptions {
  /**
   * Age after which a temporary file not written by a running upload of this process is deleted.
   * @default 1 hour
   */
  readonly temporaryFileTtlMs?: number;
}

const DEFAULT_TEMPORARY_FILE_TTL_MS = 3_600_000;
const WRITE_BATCH_BYTES = 2 ** 20;

/**
 * Files stored by SHA-256 under `root`: `blobs/sha256/<first 2 hex>/<hex>`, and `tmp/` for uploads
 * in progress. A blob's mtime is its last use; a sweep deletes blobs unused for longer than a TTL.
 */
export class BlobStore {
  /** Opens (creating) the store at `root` and deletes every temporary file left by an earlier process. */
  static async openDirectory(root: string, options: BlobStoreOptions = {}): Promise<BlobStore> {
    if (!path.isAbsolute(root)) throw new Error(`the blob store's root must be an absolute path, not ${JSON.stringify(root)}`);
    const store = new BlobStore(root, options.temporaryFileTtlMs ?? DEFAULT_TEMPORARY_FILE_TTL_MS);
    await fs.promises.mkdir(store.blobsDir, { recursive: true });
    await fs.promises.mkdir(store.temporaryDir, { recursive: true });
    for (const entry of await fs.promises.readdir(store.temporaryDir)) await fs.promises.rm(path.join(store.temporaryDir, entry), { force: true, recursive: true });
    await store.recount();
    return store;
  }

  /** Directory of the blobs. */
  readonly blobsDir: string;
  /** Directory of the uploads in progress (same filesystem as the blobs, so a rename is atomic). */
  readonly temporaryDir: string;
  private readonly writing = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private count = 0;
  private total = 0;

  private constructor(readonly root: string, private readonly temporaryFileTtlMs: number) {
    this.blobsDir = path.join(root, 'blobs', 'sha256');
    this.temporaryDir = path.join(root, 'tmp');
  }

  /** Blobs stored and their bytes (exact after open and each sweep, kept up to date by uploads between). */
  stats(): { blobs: number; bytes: number } {
    return { blobs: this.count, bytes: this.total };
  }

  /** Uploads in progress. */
  uploadsInProgress(): number {
    return this.writing.size;
  }

  /**
   * Streams `body` into the store as the blob `sha256`: to a temporary file, hashed on the way, at
   * most `maxBytes`, fsynced, then linked into place if the digest matches. Rejects with
   * BlobStoreError for a bad digest, a body over the limit or an aborted stream, after deleting the
   * temporary file; with the system's error for I/O failures (ENOSPC…), likewise.
   */
  async put(sha256: string, body: Readable, maxBytes: number): Promise<PutResult> {
    const target = this.blobPath(sha256);
    const name = randomBytes(16).toString('hex');
    const temporary = path.join(this.temporaryDir, name);
    this.writing.add(name);
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(temporary, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      // Chunks are written in batches of about 1 MiB (a 64 KiB write costs about as much as a 1 MiB
      // one), one batch in flight while the next is received: at most ~2 MiB held per upload.
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let inFlight: Promise<void> = Promise.resolve();
      const flush = async () => {
        const data = batch;
        batch = [];
        batchBytes = 0;
        await inFlight;
        inFlight = writeAllGathered(handle!, data);
        inFlight.catch(() => undefined);
      };
      // Not destroyed on an early stop: an HTTP server still answers 413 on the request's socket.
      const chunks = body.iterator({ destroyOnReturn: false });
      try {
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await chunks.next();
          } catch (error) {
            throw new BlobStoreError('aborted', `the upload stopped before its end: ${error instanceof Error ? error.message : String(error)}`);
          }
          if (next.done) break;
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          size += chunk.length;
          if (size > maxBytes) throw new BlobStoreError('too_large', `the body is larger than the limit of ${maxBytes} bytes`);
          hash.update(chunk);
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes >= WRITE_BATCH_BYTES) await flush();
        }
        await flush();
        await inFlight;
      } catch (error) {
        await chunks.return?.(undefined).catch(() => undefined);
        await inFlight.catch(() => undefined);
        throw error;
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new BlobStoreError('digest_mismatch', `the body's SHA-256 is ${actual}, not ${sha256}`);
      // Already stored: nothing to make durable, the verified copy is discarded.
      if (await this.stat(sha256, true)) return { status: 'exists', size };
      await handle.sync();
      await handle.close();
      handle = undefined;
      const status = await this.withLock(sha256, () => this.place(temporary, target));
      if (status === 'created') {
        this.count += 1;
        this.total += size;
      }
      return { status, size };
    } finally {
      this.writing.delete(name);
      await handle?.close().catch(() => undefined);
      await fs.promises.rm(temporary, { force: true });
    }
  }

  /** Whether the blob is stored. */
  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  /** The blob's size if stored; with `markUsed`, also marks it used (see touch). */
  async stat(sha256: string, markUsed = false): Promise<{ size: number } | undefined> {
    const target = this.blobPath(sha256);
    return this.withLock(sha256, async () => {
      try {
        const stats = await fs.promises.stat(target);
        if (markUsed) await touchFile(target);
        return { size: stats.size };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  /** Opens the blob for reading and marks it used; undefined when not stored. The caller consumes or destroys the stream. */
  async open(sha256: string): Promise<OpenBlob | undefined> {
    const target = this.blobPath(sha256);
    return this.withLock(sha256, async () => {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(target, 'r');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      try {
        const { size } = await handle.stat();
        await touchFile(target);
        return { size, stream: handle.createReadStream({ autoClose: true, highWaterMark: 256 * 1024 }) };
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }

  /** Marks the blob used now (its mtime), so the sweep keeps it for another TTL. */
  async touch(sha256: string): Promise<boolean> {
    return (await this.stat(sha256, true)) !== undefined;
  }

  /**
   * Deletes blobs unused (mtime) for longer than `ttlMs` before `now`, and temporary files older than
   * the temporary-file TTL that no upload of this process is writing; recounts the store.
   */
  async sweep(ttlMs: number, now: number = Date.now()): Promise<SweepReport> {
    let evicted = 0;
    let evictedBytes = 0;
    let blobs = 0;
    let bytes = 0;
    let temporaryFilesDeleted = 0;
    for (const prefix of await readdirOrEmpty(this.blobsDir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await readdirOrEmpty(path.join(this.blobsDir, prefix))) {
        if (!SHA256_HEX.test(name) || !name.startsWith(prefix)) continue;
        const target = path.join(this.blobsDir, prefix, name);
        // Under the blob's lock: an upload that found it, or a download that opened it, has touched it first.
        const gone = await this.withLock(name, async () => {
          const stats = await fs.promises.stat(target).catch(() => undefined);
          if (!stats) return undefined;
          if (now - stats.mtimeMs <= ttlMs) return { deleted: false, size: stats.size };
          await fs.promises.rm(target, { force: true });
          return { deleted: true, size: stats.size };
        });
        if (!gone) continue;
        if (gone.deleted) {
          evicted += 1;
          evictedBytes += gone.size;
        } else {
          blobs += 1;
          bytes += gone.size;
        }
      }
    }
    for (const name of await readdirOrEmpty(this.temporaryDir)) {
      if (this.writing.has(name)) continue;
      const file = path.join(this.temporaryDir, name);
      const stats = await fs.promises.lstat(file).catch(() => undefined);
      if (stats && now - stats.mtimeMs > this.temporaryFileTtlMs && !this.writing.has(name)) {
        await fs.promises.rm(file, { force: true, recursive: true });
        temporaryFilesDeleted += 1;
      }
    }
    this.count = blobs;
    this.total = bytes;
    return { evicted, evictedBytes, temporaryFilesDeleted, blobs, bytes };
  }

  /** The path of the blob `sha256`; throws BlobStoreError unless it is 64 lower-case hex characters. */
  blobPath(sha256: string): string {
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) throw new BlobStoreError('invalid_digest', `not a SHA-256 digest (64 lower-case hex characters): ${JSON.stringify(String(sha256).slice(0, 100))}`);
    return path.join(this.blobsDir, sha256.slice(0, 2), sha256);
  }

  private async recount(): Promise<void> {
    await this.sweep(Number.POSITIVE_INFINITY, 0);
  }

  /**
   * Puts the complete temporary file at `target`. link() never replaces an existing file, so an
   * existing blob is reported as such and kept; filesystems without hard links get a rename, which
   * replaces atomically (the content is the same, since it has the same digest).
   */
  private async place(temporary: string, target: string): Promise<'created' | 'exists'> {
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.promises.link(temporary, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        await touchFile(target);
        return 'exists';
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw error;
      if (await fs.promises.stat(target).then(() => true, () => false)) {
        await touchFile(target);
        return 'exists';
      }
      await fs.promises.rename(temporary, target);
    }
    await fsyncDirectory(path.dirname(target));
    return 'created';
  }

  /** Runs `action` after every earlier action on the same blob has settled. */
  private async withLock<T>(sha256: string, action: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(sha256) ?? Promise.resolve();
    const run = previous.then(action, action);
    const settled = run.then(() => undefined, () => undefined);
    this.locks.set(sha256, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(sha256) === settled) this.locks.delete(sha256);
    }
  }
}

/**
 * Whether the storage is fit to take uploads: a file can be created, written, fsynced and deleted
 * in its temporary directory, and the filesystem has at least `minFreeBytes` available.
 */
export async function checkStorage(store: BlobStore, minFreeBytes: number): Promise<{ ready: boolean; freeBytes?: number; reason?: string }> {
  const probe = path.join(store.temporaryDir, `.probe-${randomBytes(8).toString('hex')}`);
  try {
    const handle = await fs.promises.open(probe, 'wx', 0o600);
    try {
      await handle.write('ok');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ready: false, reason: `the storage directory is not writable: ${(error as Error).message}` };
  } finally {
    await fs.promises.rm(probe, { force: true }).catch(() => undefined);
  }
  const stats = await fs.promises.statfs(store.root);
  const freeBytes = Number(stats.bavail) * Number(stats.bsize);
  if (freeBytes < minFreeBytes) return { ready: false, freeBytes, reason: `the storage has ${freeBytes} bytes free, less than the floor of ${minFreeBytes}` };
  return { ready: true, freeBytes };
}

async function touchFile(file: string): Promise<void> {
  const now = new Date();
  await fs.promises.utimes(file, now, now);
}

async function readdirOrEmpty(directory: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(directory);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
