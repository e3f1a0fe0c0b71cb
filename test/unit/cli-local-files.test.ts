// The files `sparkplane stage` is given: checked before any upload, hashed as a stream.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { checkLocalFiles, READ_CHUNK_BYTES, sha256OfFile } from '../../lib/cli/local-files';

describe('the files to stage', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-cli-files-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts readable regular files, through symbolic links too, with their sizes', async () => {
    const jar = path.join(root, 'app.jar');
    fs.writeFileSync(jar, 'PK\u0003\u0004');
    const empty = path.join(root, 'empty.txt');
    fs.writeFileSync(empty, '');
    const link = path.join(root, 'latest.jar');
    fs.symlinkSync(jar, link);
    expect(await checkLocalFiles([jar, empty, link])).toEqual({
      files: [{ path: jar, size: 4 }, { path: empty, size: 0 }, { path: link, size: 4 }],
      problems: [],
    });
  });

  it('names each missing file, directory and special file, so nothing is staged from a mistyped list', async () => {
    const dir = path.join(root, 'jars');
    fs.mkdirSync(dir);
    const dangling = path.join(root, 'dangling.jar');
    fs.symlinkSync(path.join(root, 'gone.jar'), dangling);
    const ok = path.join(root, 'ok.txt');
    fs.writeFileSync(ok, 'x');
    const result = await checkLocalFiles([path.join(root, 'typo.jar'), dir, dangling, '/dev/null', ok]);
    expect(result.problems).toEqual([
      `${path.join(root, 'typo.jar')}: no such file`,
      `${dir}: is a directory; name the files in it instead`,
      `${dangling}: no such file`,
      '/dev/null: not a regular file',
    ]);
    expect(result.files).toEqual([{ path: ok, size: 1 }]);
  });

  it('hashes a file as a stream: the SHA-256 of its bytes, reporting the running total per chunk', async () => {
    const file = path.join(root, 'three-chunks.bin');
    const bytes = randomBytes(2 * READ_CHUNK_BYTES + 123);
    fs.writeFileSync(file, bytes);
    const totals: number[] = [];
    expect(await sha256OfFile(file, (n) => totals.push(n))).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(totals).toEqual([READ_CHUNK_BYTES, 2 * READ_CHUNK_BYTES, 2 * READ_CHUNK_BYTES + 123]);
  });

  it('gives the same digest as hashing the bytes at once, for any content', async () => {
    const file = path.join(root, 'any.bin');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (content) => {
        fs.writeFileSync(file, content);
        expect(await sha256OfFile(file)).toBe(createHash('sha256').update(content).digest('hex'));
      }),
      { numRuns: 50 },
    );
    fs.writeFileSync(file, '');
    expect(await sha256OfFile(file)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('rejects when the file cannot be read', async () => {
    await expect(sha256OfFile(path.join(root, 'vanished.jar'))).rejects.toThrow(/ENOENT/);
  });
});
