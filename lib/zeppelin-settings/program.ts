// `sparkplane zeppelin-settings`: the Zeppelin server's init container that writes the typed
// model's interpreter properties into interpreter.json (merge.ts) on the server's claim, atomically,
// before Zeppelin reads it.
import * as fs from 'fs';
import * as path from 'path';
import { mergeInterpreterSettings, type InterpreterSettingSeed } from './merge';

/** The file next to interpreter.json that remembers which keys sparkplane owns. */
export const OWNED_KEYS_FILE = '.sparkplane-owned-properties.json';

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Writes `text` to `file` through a temporary file in the same folder: readers see the old or the new file, whole. */
function writeAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}`);
  fs.writeFileSync(temporary, text, { mode: 0o660 });
  fs.renameSync(temporary, file);
}

/** Runs the command with `args` (`--seed <file> --dir <dir>`); returns the exit code. */
export function runZeppelinSettings(args: readonly string[]): number {
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const seedFile = option('--seed');
  const dir = option('--dir');
  if (!seedFile || !dir) {
    process.stderr.write('usage: sparkplane zeppelin-settings --seed <seed.json> --dir <Zeppelin\'s config folder>\n');
    return 2;
  }
  const seed = readJson(seedFile) as InterpreterSettingSeed | undefined;
  if (!seed) throw new Error(`${seedFile} does not exist`);
  fs.mkdirSync(dir, { recursive: true });
  const settingsFile = path.join(dir, 'interpreter.json');
  const ownedFile = path.join(dir, OWNED_KEYS_FILE);
  const owned = readJson(ownedFile);
  const merged = mergeInterpreterSettings(readJson(settingsFile), seed, Array.isArray(owned) ? owned.filter((k): k is string => typeof k === 'string') : []);
  writeAtomically(settingsFile, `${JSON.stringify(merged.json, null, 2)}\n`);
  writeAtomically(ownedFile, `${JSON.stringify(merged.owned)}\n`);
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', component: 'zeppelin-settings', msg: 'interpreter settings written', file: settingsFile, setting: seed.setting, owned: merged.owned.length })}\n`);
  return 0;
}
