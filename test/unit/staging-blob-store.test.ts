// The staging server's content-addressed storage on a real directory: what is stored is exactly what
// was sent under its digest, a blob appears whole or not at all (also under concurrent uploads of the
// same file), interrupted and refused uploads leave nothing behind, and unused blobs expire.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import fc from 'fast-check';
import { BlobStore, BlobStoreError, checkStorage } from '../../lib/staging-server/blob-store';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const chunksOf = (data: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)));
const kindOf = async (promise: Promise<unknown>) => promise.then(() => 'ok', (error) => (error instanceof BlobStoreError ? error.kind : `other: ${String(error)}`));

describe('the staging blob store', () => {
  let root: string;
  let store: BlobStore;
  const temporaryFiles = () => fs.readdirSync(path.join(root, 'tmp'));
  const blobFiles = () => {
    const dir = path.join(root, 'blobs', 'sha256');
    return fs.readdirSync(dir).flatMap((prefix) => fs.readdirSync(path.join(dir, prefix)).map((name) => `${prefix}/${name}`));
  };

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-store-'));
    store = await BlobStore.openDirectory(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores a body at blobs/sha256/<first two hex>/<hex>, and a second upload of it finds it there', async () => {
    const data = randomBytes(300_000);
    const digest = sha(data);
    await expect(store.put(digest, chunksOf(data, 65_536), 1e6)).resolves.toEqual({ status: 'created', size: data.length });
    expect(blobFiles()).toEqual([`${digest.slice(0, 2)}/${digest}`]);
    expect(fs.readFileSync(path.join(root, 'blobs', 'sha256', digest.slice(0, 2), digest)).equals(data)).toBe(true);
    await expect(store.put(digest, chunksOf(data, 1000), 1e6)).resolves.toEqual({ status: 'exists', size: data.length });
    expect(store.stats()).toEqual({ blobs: 1, bytes: data.length });
    expect(await store.has(digest)).toBe(true);
    expect(temporaryFiles()).toEqual([]);
    const opened = await store.open(digest);
    expect(opened!.size).toBe(data.length);
    const read: Buffer[] = [];
    for await (const chunk of opened!.stream) read.push(chunk as Buffer);
    expect(Buffer.concat(read).equals(data)).toBe(true);
    expect(await store.open(sha('absent'))).toBeUndefined();
  });

  it('stores exactly the bytes sent, however chunked, and nothing at all under a wrong digest (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), fc.boolean(), async (bytes, chunkSize, lie) => {
        const data = Buffer.from(bytes);
        const digest = lie ? sha(Buffer.concat([data, Buffer.from([1])])) : sha(data);
        const before = blobFiles();
        const outcome = await kindOf(store.put(digest, chunksOf(data, chunkSize), 5000));
        expect(temporaryFiles()).toEqual([]);
        if (lie) {
          expect(outcome).toBe('digest_mismatch');
          expect(blobFiles()).toEqual(before);
        } else {
          expect(outcome).toBe('ok');
          expect(fs.readFileSync(store.blobPath(digest)).equals(data)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('builds a path only from 64 lower-case hex characters (property)', async () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        fc.pre(!/^[0-9a-f]{64}$/.test(text));
        expect(() => store.blobPath(text)).toThrow(BlobStoreError);
      }),
    );
    for (const bad of ['../../../../etc/passwd', sha('x').toUpperCase(), sha('x').slice(1), `${sha('x')}0`, `${sha('x').slice(0, 63)}/`, `${sha('x')}\n`]) {
      await expect(kindOf(store.put(bad, Readable.from([Buffer.from('x')]), 10))).resolves.toBe('invalid_digest');
      await expect(store.open(bad)).rejects.toThrow(BlobStoreError);
    }
    expect(blobFiles()).toEqual([]);
    expect(temporaryFiles()).toEqual([]);
  });

  it('takes 20 concurrent uploads of the same file: all succeed, one file, byte-identical, never seen half written', async () => {
    const data = randomBytes(2 * 2 ** 20);
    const digest = sha(data);
    let uploading = true;
    const sightings: number[] = [];
    // A reader polling the blob's path while the uploads run sees nothing or the whole file.
    const reader = (async () => {
      while (uploading) {
        const opened = await store.open(digest);
        if (opened) {
          const read: Buffer[] = [];
          for await (const chunk of opened.stream) read.push(chunk as Buffer);
          expect(Buffer.concat(read).equals(data)).toBe(true);
          sightings.push(opened.size);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(digest, chunksOf(data, 16_384 + i * 1000), data.length)));
    uploading = false;
    await reader;
    expect(results.filter((r) => r.status === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'exists')).toHaveLength(19);
    expect(blobFiles()).toEqual([`${digest.slice(0, 2)}/${digest}`]);
    expect(fs.readFileSync(store.blobPath(digest)).equals(data)).toBe(true);
    expect(sightings.length).toBeGreaterThan(0);
    expect(sightings.every((size) => size === data.length)).toBe(true);
    expect(temporaryFiles()).toEqual([]);
    expect(store.stats()).toEqual({ blobs: 1, bytes: data.length });
  });

  it('leaves nothing behind when the body breaks off midway, with or without an error', async () => {
    const data = randomBytes(200_000);
    for (const error of [new Error('socket hang up'), undefined]) {
      const body = new PassThrough();
      const upload = kindOf(store.put(sha(data), body, 1e6));
      body.write(data.subarray(0, 100_000));
      await new Promise((r) => setTimeout(r, 20));
      expect(temporaryFiles()).toHaveLength(1);
      body.destroy(error);
      await expect(upload).resolves.toBe('aborted');
      expect(temporaryFiles()).toEqual([]);
      expect(blobFiles()).toEqual([]);
    }
  });

  it('stops at maxBytes while streaming (no length known in advance), deletes the temporary file and leaves the body to the caller', async () => {
    const data = randomBytes(100_000);
    const body = chunksOf(data, 4096);
    await expect(kindOf(store.put(sha(data), body, data.length / 2))).resolves.toBe('too_large');
    expect(body.destroyed).toBe(false);
    body.destroy();
    await expect(kindOf(store.put(sha(data), chunksOf(data, 4096), data.length - 1))).resolves.toBe('too_large');
    expect(temporaryFiles()).toEqual([]);
    expect(blobFiles()).toEqual([]);
    await expect(store.put(sha(data), chunksOf(data, 4096), data.length)).resolves.toMatchObject({ status: 'created' });
  });

  it('deletes blobs unused for longer than the TTL, and a use (upload, download, check) restarts the clock', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => Buffer.from(x.repeat(1000)));
    for (const data of [a, b, c]) await store.put(sha(data), Readable.from([data]), 1e6);
    const t0 = Date.now() - 10 * 86_400_000;
    for (const data of [a, b, c]) fs.utimesSync(store.blobPath(sha(data)), new Date(t0), new Date(t0));
    const ttl = 86_400_000;
    expect(await store.sweep(ttl, t0 + ttl - 1)).toEqual({ evicted: 0, evictedBytes: 0, temporaryFilesDeleted: 0, blobs: 3, bytes: 3000 });
    await (await store.open(sha(b)))!.stream.close();
    await store.put(sha(c), Readable.from([c]), 1e6);
    expect(await store.sweep(ttl, Date.now() + ttl / 2)).toEqual({ evicted: 1, evictedBytes: 1000, temporaryFilesDeleted: 0, blobs: 2, bytes: 2000 });
    expect(await store.has(sha(a))).toBe(false);
    expect(await store.touch(sha(a))).toBe(false);
    expect(await store.touch(sha(b))).toBe(true);
    expect(store.stats()).toEqual({ blobs: 2, bytes: 2000 });
    expect(await store.sweep(ttl, Date.now() + ttl + 1000)).toMatchObject({ evicted: 2, blobs: 0, bytes: 0 });
  });

  it('deletes temporary files left by an earlier process at start, and abandoned ones after an hour, never one being written', async () => {
    fs.writeFileSync(path.join(root, 'tmp', 'left-by-a-crash'), 'partial');
    fs.mkdirSync(path.join(root, 'tmp', 'odd-dir'));
    store = await BlobStore.openDirectory(root);
    expect(temporaryFiles()).toEqual([]);

    const body = new PassThrough();
    const upload = store.put(sha('slow upload'), body, 1e6);
    body.write('slow ');
    await new Promise((r) => setTimeout(r, 20));
    const [active] = temporaryFiles();
    fs.writeFileSync(path.join(root, 'tmp', 'abandoned'), 'x');
    fs.writeFileSync(path.join(root, 'tmp', 'recent'), 'x');
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const name of [active, 'abandoned']) fs.utimesSync(path.join(root, 'tmp', name), old, old);
    expect(store.uploadsInProgress()).toBe(1);
    expect((await store.sweep(86_400_000)).temporaryFilesDeleted).toBe(1);
    expect(temporaryFiles().sort()).toEqual([active, 'recent'].sort());
    body.end('upload');
    await expect(upload).resolves.toMatchObject({ status: 'created' });
    expect(temporaryFiles()).toEqual(['recent']);
  });

  it('is ready when its folder takes a file and the free space is above the floor', async () => {
    expect(await checkStorage(store, 0)).toMatchObject({ ready: true, freeBytes: expect.any(Number) });
    expect(await checkStorage(store, Number.MAX_SAFE_INTEGER)).toMatchObject({ ready: false, reason: expect.stringContaining('less than the floor') });
    fs.rmSync(path.join(root, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(root, 'tmp'), 'not a folder');
    expect(await checkStorage(store, 0)).toMatchObject({ ready: false, reason: expect.stringContaining('not writable') });
  });
});
