// The shuffle janitor's decisions (issue 6, docs/shuffle-service-design.md §2.3). On Kubernetes nobody
// tells the external shuffle service that an application ended, so its executors' files would pile
// up on every node. Each application writes under H/apps/<namespace>/<driverPod>_<driverPodUID>/, and
// the janitor deletes such a directory only on positive evidence from the API server that its driver
// pod is gone or finished, held for a grace period. "Unknown" (403, 5xx, a timeout) never deletes:
// a running application's files are never touched. Symbolic links are never followed.
import * as fs from 'fs';
import * as path from 'path';

/** What the API server said about a driver pod. */
export type DriverLookup =
  | { readonly status: 200; readonly uid: string; readonly phase: string }
  | { readonly status: 404 }
  | { readonly status: 'error'; readonly detail: string };

/** The janitor's reading of a lookup. */
export type DriverVerdict = 'alive' | 'finished' | 'gone' | 'unknown';

/** One application directory: H/apps/<namespace>/<driverPodName>_<driverPodUID>. */
export interface ApplicationDirectory {
  readonly namespace: string;
  readonly driverPod: string;
  readonly driverUid: string;
  /** Absolute path. */
  readonly path: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const POD_DIR = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** Folder (under the apps root) where directories wait for their recursive removal. */
export const TRASH_DIR = '.trash';

/** The application directory a namespace entry and pod entry name, or undefined if they are not one. */
export function parseApplicationDirectory(appsRoot: string, namespace: string, entry: string): ApplicationDirectory | undefined {
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) return undefined;
  const match = POD_DIR.exec(entry);
  if (!match || match[1].length > 253) return undefined;
  return { namespace, driverPod: match[1], driverUid: match[3], path: path.join(appsRoot, namespace, entry) };
}

/** Alive, finished, gone or unknown, from a lookup of the driver pod expected to have `uid`. */
export function driverVerdict(lookup: DriverLookup, uid: string): DriverVerdict {
  if (lookup.status === 404) return 'gone';
  if (lookup.status === 'error') return 'unknown';
  if (lookup.uid !== uid) return 'gone'; // a new pod of the same name: ours was deleted
  return lookup.phase === 'Succeeded' || lookup.phase === 'Failed' ? 'finished' : 'alive';
}

/** What one sweep did. */
export interface SweepReport {
  readonly alive: number;
  readonly waiting: number;
  readonly unknown: number;
  readonly deleted: readonly string[];
  /** Entries that are not application directories (or are links): left alone. */
  readonly skipped: readonly string[];
}

/** The janitor of one node's apps root. */
export class ShuffleJanitor {
  /** When each directory was first seen finished or gone (in memory: a restart only delays deletion). */
  private readonly endedSince = new Map<string, number>();

  constructor(
    private readonly appsRoot: string,
    private readonly lookup: (namespace: string, pod: string) => Promise<DriverLookup>,
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One pass over the apps root: decide for each application directory, delete what has ended long enough. */
  async sweep(): Promise<SweepReport> {
    this.emptyTrash();
    const report = { alive: 0, waiting: 0, unknown: 0, deleted: [] as string[], skipped: [] as string[] };
    const seen = new Set<string>();
    for (const namespace of this.realDirectories(this.appsRoot, report.skipped)) {
      if (namespace === TRASH_DIR) continue;
      const namespacePath = path.join(this.appsRoot, namespace);
      for (const entry of this.realDirectories(namespacePath, report.skipped)) {
        const app = parseApplicationDirectory(this.appsRoot, namespace, entry);
        if (!app) {
          report.skipped.push(path.join(namespace, entry));
          continue;
        }
        seen.add(app.path);
        const verdict = driverVerdict(await this.lookup(app.namespace, app.driverPod), app.driverUid);
        if (verdict === 'alive') {
          this.endedSince.delete(app.path);
          report.alive++;
        } else if (verdict === 'unknown') {
          report.unknown++;
        } else {
          const since = this.endedSince.get(app.path) ?? this.now();
          this.endedSince.set(app.path, since);
          if (this.now() - since >= this.graceMs) {
            this.remove(app.path);
            this.endedSince.delete(app.path);
            report.deleted.push(path.join(namespace, entry));
          } else {
            report.waiting++;
          }
        }
      }
      this.removeIfEmpty(namespacePath);
    }
    for (const known of this.endedSince.keys()) if (!seen.has(known)) this.endedSince.delete(known);
    return report;
  }

  /** Subdirectories of `dir` that are real directories (lstat: links are listed in `skipped`, never followed). */
  private realDirectories(dir: string, skipped: string[]): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) names.push(entry.name);
      else skipped.push(path.relative(this.appsRoot, path.join(dir, entry.name)));
    }
    return names.sort();
  }

  /** Moves the directory into the trash (atomic, same filesystem), then removes it there. */
  private remove(dir: string): void {
    const trash = path.join(this.appsRoot, TRASH_DIR);
    fs.mkdirSync(trash, { recursive: true, mode: 0o700 });
    const target = path.join(trash, `${path.basename(path.dirname(dir))}_${path.basename(dir)}_${this.now()}`);
    fs.renameSync(dir, target);
    // fs.rm removes links themselves, never what they point to.
    fs.rmSync(target, { recursive: true, force: true });
  }

  /** Finishes removals a restart interrupted. */
  private emptyTrash(): void {
    const trash = path.join(this.appsRoot, TRASH_DIR);
    for (const entry of fs.existsSync(trash) ? fs.readdirSync(trash) : []) fs.rmSync(path.join(trash, entry), { recursive: true, force: true });
  }

  private removeIfEmpty(dir: string): void {
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty (or already gone): keep it
    }
  }
}
