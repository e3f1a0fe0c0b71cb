// Local dependencies: paths on the machine that synthesizes the manifests, staged on the staging
// server by digest. The digest is computed at synth time, so the manifests are reproducible and a
// changed jar changes them.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { STAGED_FILES_DIR, stagedFileNameProblem } from './protocol';

/** A local file to be staged. */
export interface StagedFile {
  /** Its absolute path on this machine. */
  readonly source: string;
  /** Its name in the driver's staged folder (the file's own name). */
  readonly name: string;
  /** SHA-256 of its content, hex. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

/** Whether a dependency is a local path (no URI scheme) rather than a URI Spark reads itself. */
export function isLocalPath(dependency: string): boolean {
  // "C:\\…" is a path, not a URI with scheme "c".
  return path.isAbsolute(dependency) || /^[a-zA-Z]:[\\/]/.test(dependency) || !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(dependency);
}

/** Why a local dependency cannot be staged (missing, not a file, an unusable name), if it cannot. */
export function localFileProblem(dependency: string): string | undefined {
  const nameProblem = stagedFileNameProblem(path.basename(dependency));
  if (nameProblem) return `has a file name that ${nameProblem}`;
  const source = path.resolve(dependency);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    return `is a local path, but ${source} does not exist on this machine`;
  }
  if (!stat.isFile()) return `is a local path, but ${source} is not a regular file`;
  // Spark splits spark.jars and spark.files on commas; the name is one path segment of a file: URI.
  if (!/^[A-Za-z0-9._+-]+$/.test(path.basename(source))) return 'has a file name Spark cannot list: use letters, digits, ".", "_", "+" and "-"';
  return undefined;
}

const digests = new Map<string, string>();

/** The file's name, size and SHA-256, read in 1 MiB pieces (never the whole file in memory). */
export function stageLocalFile(dependency: string): StagedFile {
  const source = path.resolve(dependency);
  const stat = fs.statSync(source);
  // Both front ends resolve a spec more than once: hash each version of a file once.
  // ctime cannot be set back by tools that pin mtime; the inode changes when a file is replaced.
  const key = `${source}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}`;
  let sha256 = digests.get(key);
  if (sha256 === undefined) {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1 << 20);
    const fd = fs.openSync(source, 'r');
    try {
      for (let read = fs.readSync(fd, buffer); read > 0; read = fs.readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
    } finally {
      fs.closeSync(fd);
    }
    sha256 = hash.digest('hex');
    digests.set(key, sha256);
  }
  return { source, name: path.basename(source), sha256, size: stat.size };
}

/** The URI Spark is given for a staged file: the copy the driver's init container fetched. */
export function stagedFileUri(file: StagedFile): string {
  return `file://${STAGED_FILES_DIR}/${file.name}`;
}
