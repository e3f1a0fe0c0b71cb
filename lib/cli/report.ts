// What `sparkplane stage` prints: per file its SHA-256, what happened and its in-cluster URL, as text
// for people or as one JSON document for scripts (--json). Pure formatting.
import { formatBytes } from './progress';
import type { StagingServiceRef } from './staging-endpoint';

/** What happened to one file. */
export type StagedStatus = 'uploaded' | 'already-staged' | 'failed' | 'not-attempted';

/** One file's outcome. */
export interface StagedFile {
  /** The path as the user gave it. */
  readonly file: string;
  readonly size: number;
  /** Its SHA-256 (absent when it failed before it was hashed, or was not attempted). */
  readonly sha256?: string;
  readonly status: StagedStatus;
  /** Where the cluster fetches it (staged files only). */
  readonly url?: string;
  /** Why it failed. */
  readonly error?: string;
  /** Time the upload took, ms (uploaded files only). */
  readonly uploadMs?: number;
}

/** The --json document. */
export interface StageReport {
  readonly namespace: string;
  readonly service: string;
  /** True when every file is staged. */
  readonly ok: boolean;
  readonly files: readonly StagedFile[];
}

const STATUS_WORDS: Record<StagedStatus, string> = {
  'uploaded': 'uploaded',
  'already-staged': 'already staged',
  'failed': 'failed',
  'not-attempted': 'not attempted',
};

/**
 * The text block of a staged file, on stdout:
 *
 *     lib/app.jar: uploaded, 64.0 MiB
 *       sha256 5f1c…
 *       url    http://staging-server.spark.svc:7080/v1/blobs/sha256/5f1c…
 */
export function formatStagedFile(staged: StagedFile): string {
  const lines = [`${staged.file}: ${STATUS_WORDS[staged.status]}, ${formatBytes(staged.size)}`];
  if (staged.sha256) lines.push(`  sha256 ${staged.sha256}`);
  if (staged.url) lines.push(`  url    ${staged.url}`);
  return `${lines.join('\n')}\n`;
}

/** The line of a file that is not staged, on stderr. */
export function formatUnstagedFile(staged: StagedFile): string {
  return staged.status === 'failed' ? `${staged.file}: failed: ${staged.error ?? 'unknown error'}\n` : `${staged.file}: not attempted\n`;
}

/** The last line, on stderr: `3 files staged to staging-server in spark: 2 uploaded (64.1 MiB in 1.2 s), 1 already staged`. */
export function formatSummary(ref: StagingServiceRef, files: readonly StagedFile[], uploadMs: number): string {
  const count = (status: StagedStatus) => files.filter((f) => f.status === status).length;
  const uploadedBytes = files.filter((f) => f.status === 'uploaded').reduce((sum, f) => sum + f.size, 0);
  const staged = count('uploaded') + count('already-staged');
  const parts = [`${count('uploaded')} uploaded${count('uploaded') > 0 ? ` (${formatBytes(uploadedBytes)} in ${(uploadMs / 1000).toFixed(1)} s)` : ''}`, `${count('already-staged')} already staged`];
  if (count('failed') > 0) parts.push(`${count('failed')} failed`);
  if (count('not-attempted') > 0) parts.push(`${count('not-attempted')} not attempted`);
  return `${staged} of ${plural(files.length, 'file')} staged to ${ref.service} in namespace ${ref.namespace}: ${parts.join(', ')}\n`;
}

/** The --json document, serialized. */
export function formatJsonReport(ref: StagingServiceRef, files: readonly StagedFile[]): string {
  const report: StageReport = {
    namespace: ref.namespace,
    service: ref.service,
    ok: files.every((f) => f.status === 'uploaded' || f.status === 'already-staged'),
    files,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
