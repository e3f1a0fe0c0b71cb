// The staging server's settings and tokens: every bad variable reported at once; a token grants its
// role and nothing else; missing tokens are generated into the Secret (once, even with two servers
// racing); a failed reading keeps the tokens in force; rotating a token file takes effect.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvConfigError } from '../../lib/allocator/config';
import { READ_TOKEN_KEY, UPLOAD_TOKEN_KEY } from '../../lib/core/staging/protocol';
import { stagingServerConfigFromEnv } from '../../lib/staging-server/config';
import {
  fixedTokens, generateToken, RefreshingTokenSource, roleOfToken, tokensFromFiles, tokensFromSecret,
  type StagingTokens, type TokenRefreshOutcome, type TokenSecretApi,
} from '../../lib/staging-server/tokens';

const TOKENS: StagingTokens = { upload: 'upload-token-0123456789abcdef', read: 'read-token-0123456789abcdef' };
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A Secret in memory with the API server's optimistic concurrency (resourceVersion). */
class SecretInMemory implements TokenSecretApi {
  readonly description = 'Secret spark/staging-tokens';
  data: Record<string, string> | undefined = {};
  version = 1;
  patches = 0;
  /** Runs before a patch is applied: another writer may change the Secret then. */
  beforePatch: () => void = () => {};

  async read() {
    return this.data && { data: { ...this.data }, resourceVersion: String(this.version) };
  }

  async patch(data: Readonly<Record<string, string>>, resourceVersion: string | undefined): Promise<'patched' | 'conflict'> {
    this.beforePatch();
    if (resourceVersion !== String(this.version)) return 'conflict';
    this.patches += 1;
    this.data = { ...this.data, ...data };
    this.version += 1;
    return 'patched';
  }
}

describe('the staging server\'s configuration', () => {
  it('reads every setting from the environment, with defaults', () => {
    expect(stagingServerConfigFromEnv({ SPARKPLANE_STAGING_DIR: '/var/lib/staging', SPARKPLANE_STAGING_TOKENS_SECRET: 'staging-tokens' })).toEqual({
      storageDir: '/var/lib/staging', port: 7080, metricsPort: 7081, host: '0.0.0.0', maxUploadBytes: 2 * 2 ** 30, ttlMs: 7 * 86_400_000,
      sweepIntervalMs: 600_000, minFreeBytes: 256 * 2 ** 20, tokens: { source: 'secret', secretName: 'staging-tokens', namespace: undefined }, tokenRefreshMs: 60_000, logLevel: 'info',
    });
    expect(stagingServerConfigFromEnv({
      SPARKPLANE_STAGING_DIR: '/data', SPARKPLANE_STAGING_PORT: '0', SPARKPLANE_STAGING_METRICS_PORT: '9100', SPARKPLANE_STAGING_HOST: '127.0.0.1',
      SPARKPLANE_STAGING_MAX_UPLOAD: '512Mi', SPARKPLANE_STAGING_TTL: '36h', SPARKPLANE_STAGING_MIN_FREE: '1G', SPARKPLANE_STAGING_SWEEP_INTERVAL: '30s',
      SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE: '/t/upload', SPARKPLANE_STAGING_READ_TOKEN_FILE: '/t/read', SPARKPLANE_STAGING_TOKEN_REFRESH: '5s', SPARKPLANE_STAGING_LOG_LEVEL: 'debug',
    })).toEqual({
      storageDir: '/data', port: 0, metricsPort: 9100, host: '127.0.0.1', maxUploadBytes: 512 * 2 ** 20, ttlMs: 36 * 3_600_000, sweepIntervalMs: 30_000,
      minFreeBytes: 1e9, tokens: { source: 'files', uploadTokenFile: '/t/upload', readTokenFile: '/t/read' }, tokenRefreshMs: 5000, logLevel: 'debug',
    });
  });

  it('names every bad variable, its value and the fix, all at once', () => {
    let error: EnvConfigError | undefined;
    try {
      stagingServerConfigFromEnv({
        SPARKPLANE_STAGING_DIR: 'data', SPARKPLANE_STAGING_PORT: '70800', SPARKPLANE_STAGING_MAX_UPLOAD: '2g', SPARKPLANE_STAGING_MIN_FREE: 'lots',
        SPARKPLANE_STAGING_TTL: 'forever', SPARKPLANE_STAGING_TOKENS_SECRET: 'Staging_Tokens', SPARKPLANE_STAGING_READ_TOKEN_FILE: '/t/read', SPARKPLANE_STAGING_LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e as EnvConfigError;
    }
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error!.problems).toEqual([
      'SPARKPLANE_STAGING_DIR="data" must be an absolute path, e.g. "/var/lib/sparkplane/staging"',
      expect.stringMatching(/^SPARKPLANE_STAGING_TOKENS_SECRET="Staging_Tokens" is not a Secret name: it must consist of lower-case letters/),
      'SPARKPLANE_STAGING_TOKENS_SECRET and SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE/SPARKPLANE_STAGING_READ_TOKEN_FILE are both set: the tokens come from the Secret or from the files, set only one',
      'SPARKPLANE_STAGING_LOG_LEVEL="loud" is not a log level: use one of debug, info, warn, error',
      'SPARKPLANE_STAGING_PORT="70800" is not a port number: set it to e.g. 7080',
      'SPARKPLANE_STAGING_MAX_UPLOAD="2g" is not a size of at least 1 bytes: use a Kubernetes quantity such as "2Gi"',
      'SPARKPLANE_STAGING_TTL="forever" is not a duration of at least 1000 ms: use a Spark duration such as "7d"',
      'SPARKPLANE_STAGING_MIN_FREE="lots" is not a size of at least 0 bytes: use a Kubernetes quantity such as "256Mi"',
    ]);
    expect(() => stagingServerConfigFromEnv({ SPARKPLANE_STAGING_DIR: '/data' })).toThrow(/no tokens: set SPARKPLANE_STAGING_TOKENS_SECRET .* or both SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE and SPARKPLANE_STAGING_READ_TOKEN_FILE/);
    expect(() => stagingServerConfigFromEnv({ SPARKPLANE_STAGING_DIR: '/data', SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE: '/t/upload' })).toThrow('SPARKPLANE_STAGING_READ_TOKEN_FILE="" must be an absolute path');
  });
});

describe('the staging server\'s tokens', () => {
  it('grants the upload token upload and read, the read token read, anything else nothing', () => {
    expect(roleOfToken(TOKENS, TOKENS.upload)).toBe('upload');
    expect(roleOfToken(TOKENS, TOKENS.read)).toBe('read');
    for (const other of [undefined, '', 'x', TOKENS.upload.slice(1), `${TOKENS.read} `, TOKENS.upload.toUpperCase()]) expect(roleOfToken(TOKENS, other)).toBeUndefined();
    expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(generateToken());
  });

  it('refuses short tokens and a read token equal to the upload token', () => {
    expect(() => fixedTokens({ upload: 'short', read: TOKENS.read })).toThrow('upload-token has 5 characters, fewer than 16');
    expect(() => fixedTokens({ upload: TOKENS.upload, read: TOKENS.upload })).toThrow('upload-token and read-token are the same, so a reader could upload');
  });

  it('generates the missing tokens into the Secret, keeps the ones set, and reads the same tokens afterwards', async () => {
    const secret = new SecretInMemory();
    secret.data = { [UPLOAD_TOKEN_KEY]: b64(`${TOKENS.upload}\n`), [READ_TOKEN_KEY]: '' };
    const generated: string[][] = [];
    const load = tokensFromSecret(secret, (keys) => generated.push([...keys]));
    const first = await load();
    expect(first.upload).toBe(TOKENS.upload);
    expect(first.read).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generated).toEqual([[READ_TOKEN_KEY]]);
    expect(Buffer.from(secret.data![READ_TOKEN_KEY], 'base64').toString()).toBe(first.read);
    expect(await load()).toEqual(first);
    expect(secret.patches).toBe(1);

    const empty = new SecretInMemory();
    const both = await tokensFromSecret(empty)();
    expect(Object.keys(empty.data!).sort()).toEqual([READ_TOKEN_KEY, UPLOAD_TOKEN_KEY]);
    expect(both.upload).not.toBe(both.read);
  });

  it('reads the Secret again when another server filled it in first (conflict), and adopts its tokens', async () => {
    const secret = new SecretInMemory();
    let raced = false;
    secret.beforePatch = () => {
      if (raced) return;
      raced = true;
      secret.data = { [UPLOAD_TOKEN_KEY]: b64(TOKENS.upload), [READ_TOKEN_KEY]: b64(TOKENS.read) };
      secret.version += 1;
    };
    await expect(tokensFromSecret(secret)()).resolves.toEqual(TOKENS);
    expect(secret.patches).toBe(0);
  });

  it('says what to do when the Secret is missing or holds unusable tokens', async () => {
    const missing = new SecretInMemory();
    missing.data = undefined;
    await expect(tokensFromSecret(missing)()).rejects.toThrow('the Secret spark/staging-tokens does not exist: the StagingServer renders it; apply it');
    const same = new SecretInMemory();
    same.data = { [UPLOAD_TOKEN_KEY]: b64(TOKENS.upload), [READ_TOKEN_KEY]: b64(TOKENS.upload) };
    await expect(tokensFromSecret(same)()).rejects.toThrow(/are the same, so a reader could upload: set long random tokens .*, or remove the key so the server generates one/);
  });

  it('keeps the tokens in force when a reading fails, and takes a rotated token file at the next reading', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-tokens-'));
    try {
      const upload = path.join(dir, 'upload-token');
      const read = path.join(dir, 'read-token');
      fs.writeFileSync(upload, `${TOKENS.upload}\n`);
      fs.writeFileSync(read, TOKENS.read);
      const outcomes: TokenRefreshOutcome[] = [];
      const source = new RefreshingTokenSource(tokensFromFiles(upload, read), 30, (outcome) => outcomes.push(outcome));
      await source.start();
      expect(source.current()).toEqual(TOKENS);
      fs.rmSync(read);
      await new Promise((r) => setTimeout(r, 100));
      expect(source.current()).toEqual(TOKENS);
      expect(outcomes.some((o) => !o.ok && o.error.message.includes(`cannot read the token file ${read}`))).toBe(true);
      fs.writeFileSync(read, 'rotated-read-token-0123456789');
      await new Promise((r) => setTimeout(r, 100));
      source.close();
      expect(source.current()).toEqual({ upload: TOKENS.upload, read: 'rotated-read-token-0123456789' });
      expect(outcomes.filter((o) => o.ok && o.changed)).toHaveLength(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no tokens before its first successful reading', async () => {
    const source = new RefreshingTokenSource(async () => {
      throw new Error('forbidden');
    }, 60_000);
    await source.start();
    source.close();
    expect(source.current()).toBeUndefined();
  });
});
