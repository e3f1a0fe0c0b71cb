// The staging server's two tokens: the upload token (PUT, HEAD, GET) and the read token (HEAD, GET),
// sent in X-Sparkplane-Token. They come from the Secret the renderer creates (filled here with random
// tokens when a key is missing or empty) or from two files, and are read again periodically, so
// rotating them is updating the Secret. The HTTP layer sees only TokenSource, so tests give it fixed tokens.
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import { READ_TOKEN_KEY, UPLOAD_TOKEN_KEY } from '../core/staging/protocol';

/** The two tokens. */
export interface StagingTokens {
  readonly upload: string;
  readonly read: string;
}

/** What a presented token allows: "upload" (PUT, HEAD, GET) or "read" (HEAD, GET). */
export type TokenRole = 'upload' | 'read';

/** The tokens in force; undefined until they have been read once. */
export interface TokenSource {
  current(): StagingTokens | undefined;
}

/** Fewest characters of a token: shorter ones are refused, so a typo cannot become a guessable token. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The role of `presented` under `tokens`, or undefined when it is neither token. Compares SHA-256
 * digests with timingSafeEqual, so the time taken tells nothing about either token (not even its length).
 */
export function roleOfToken(tokens: StagingTokens, presented: string | undefined): TokenRole | undefined {
  if (presented === undefined || presented === '') return undefined;
  const digest = sha256(presented);
  // Both comparisons always run.
  const isUpload = timingSafeEqual(digest, sha256(tokens.upload));
  const isRead = timingSafeEqual(digest, sha256(tokens.read));
  return isUpload ? 'upload' : isRead ? 'read' : undefined;
}

/** A source that always answers `tokens` (tests, benchmarks). */
export function fixedTokens(tokens: StagingTokens): TokenSource {
  const checked = checkTokens(tokens.upload, tokens.read, 'the fixed tokens');
  return { current: () => checked };
}

/** A random token: 32 bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Reads the tokens from two files (trimmed: a trailing newline is not part of a token). */
export function tokensFromFiles(uploadTokenFile: string, readTokenFile: string): () => Promise<StagingTokens> {
  return async () => {
    const read = async (file: string) => {
      try {
        return (await fs.promises.readFile(file, 'utf8')).trim();
      } catch (error) {
        throw new Error(`cannot read the token file ${file}: ${(error as Error).message}`);
      }
    };
    return checkTokens(await read(uploadTokenFile), await read(readTokenFile), `the token files ${uploadTokenFile} and ${readTokenFile}`);
  };
}

/** The tokens Secret as the server may touch it: get it and merge-patch its data (RBAC: get, patch on that one Secret). */
export interface TokenSecretApi {
  /** A human name for messages, e.g. "Secret spark/staging-tokens". */
  readonly description: string;
  /** The Secret's data (base64 values) and resourceVersion; undefined when the Secret does not exist. */
  read(): Promise<{ data: Readonly<Record<string, string>>; resourceVersion?: string } | undefined>;
  /**
   * Merge-patches `data` (base64 values) into the Secret, on condition that it is still at
   * `resourceVersion`; "conflict" when it changed meanwhile.
   */
  patch(data: Readonly<Record<string, string>>, resourceVersion: string | undefined): Promise<'patched' | 'conflict'>;
}

/**
 * Reads the tokens from the Secret; generates and patches in any that is missing or empty (another
 * replica that did so first wins: on a conflict the Secret is read again).
 */
export function tokensFromSecret(secret: TokenSecretApi, onGenerated: (keys: readonly string[]) => void = () => {}): () => Promise<StagingTokens> {
  return async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await secret.read();
      if (!found) throw new Error(`the ${secret.description} does not exist: the StagingServer renders it; apply it (the server fills in its tokens)`);
      const decode = (key: string) => Buffer.from(found.data[key] ?? '', 'base64').toString('utf8').trim();
      const upload = decode(UPLOAD_TOKEN_KEY);
      const read = decode(READ_TOKEN_KEY);
      const missing: Record<string, string> = {};
      if (!upload) missing[UPLOAD_TOKEN_KEY] = generateToken();
      if (!read) missing[READ_TOKEN_KEY] = generateToken();
      const keys = Object.keys(missing);
      if (keys.length === 0) return checkTokens(upload, read, `the ${secret.description}`, true);
      const data = Object.fromEntries(keys.map((key) => [key, Buffer.from(missing[key]).toString('base64')]));
      if ((await secret.patch(data, found.resourceVersion)) === 'patched') {
        onGenerated(keys);
        return checkTokens(upload || missing[UPLOAD_TOKEN_KEY], read || missing[READ_TOKEN_KEY], `the ${secret.description}`, true);
      }
    }
    throw new Error(`the ${secret.description} kept changing while its tokens were being filled in`);
  };
}

/** What a refresh did, for logs and metrics. */
export type TokenRefreshOutcome = { readonly ok: true; readonly changed: boolean } | { readonly ok: false; readonly error: Error };

/**
 * Tokens read by `load` now and every `intervalMs`. A failed reading keeps the tokens in force (or
 * none, before the first success, then retries every few seconds), so an API server hiccup never
 * locks the clients out.
 */
export class RefreshingTokenSource implements TokenSource {
  private tokens: StagingTokens | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly load: () => Promise<StagingTokens>,
    private readonly intervalMs: number,
    private readonly onRefresh: (outcome: TokenRefreshOutcome) => void = () => {},
  ) {}

  current(): StagingTokens | undefined {
    return this.tokens;
  }

  /** Reads the tokens once (never rejects) and schedules the next readings. */
  async start(): Promise<void> {
    await this.refresh();
  }

  /** Stops reading. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async refresh(): Promise<void> {
    try {
      const tokens = await this.load();
      const changed = this.tokens?.upload !== tokens.upload || this.tokens?.read !== tokens.read;
      this.tokens = tokens;
      this.onRefresh({ ok: true, changed });
    } catch (error) {
      this.onRefresh({ ok: false, error: error instanceof Error ? error : new Error(String(error)) });
    }
    if (this.closed) return;
    const delay = this.tokens ? this.intervalMs : Math.min(this.intervalMs, 5000);
    this.timer = setTimeout(() => void this.refresh(), delay);
    this.timer.unref?.();
  }
}

function checkTokens(upload: string, read: string, where: string, canGenerate = false): StagingTokens {
  const problems: string[] = [];
  for (const [key, value] of [[UPLOAD_TOKEN_KEY, upload], [READ_TOKEN_KEY, read]] as const) {
    if (value.length < MIN_TOKEN_LENGTH) problems.push(`${key} has ${value.length} characters, fewer than ${MIN_TOKEN_LENGTH}`);
  }
  if (upload && upload === read) problems.push(`${UPLOAD_TOKEN_KEY} and ${READ_TOKEN_KEY} are the same, so a reader could upload`);
  const fix = `set long random tokens (e.g. \`openssl rand -base64 32\`)${canGenerate ? ', or remove the key so the server generates one' : ''}`;
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}: ${fix}`);
  return { upload, read };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
