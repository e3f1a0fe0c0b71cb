// Zeppelin keeps interpreter settings in interpreter.json and, for a saved setting, uses exactly the
// properties saved (InterpreterSettingManager.loadFromFile: no merge with the template's). So the
// typed model's properties are written into the file before each server start: the keys sparkplane
// owns get the model's values, keys it owned before and no longer does go, and everything a user
// set in the UI otherwise (other properties, isolation options, dependencies, other settings) stays.
// Format: InterpreterInfoSaving (Gson): { interpreterSettings: { <id>: { id, name, group, properties:
// { <key>: { name, value, type } }, dependencies, option } }, interpreterRepositories }.

/** What sparkplane writes into one interpreter setting. */
export interface InterpreterSettingSeed {
  /** The setting's id and name, e.g. "spark". */
  readonly setting: string;
  /** Its interpreter group, e.g. "spark". */
  readonly group: string;
  /** The properties sparkplane owns, by key. */
  readonly properties: Readonly<Record<string, string>>;
}

/** The result: the new interpreter.json and the keys owned now. */
export interface MergedInterpreterSettings {
  /** The interpreter.json document. */
  readonly json: Record<string, unknown>;
  /** The property keys sparkplane owns after this merge. */
  readonly owned: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Writes `seed` into an interpreter.json document (`existing`, undefined when there is none yet).
 * `previouslyOwned` are the keys the last merge owned. Throws when `existing` is not an
 * interpreter.json Zeppelin could have written, rather than replace what it cannot read.
 */
export function mergeInterpreterSettings(existing: unknown, seed: InterpreterSettingSeed, previouslyOwned: readonly string[]): MergedInterpreterSettings {
  const document: Record<string, unknown> = existing === undefined ? { interpreterSettings: {}, interpreterRepositories: [] } : structuredClone(existing) as Record<string, unknown>;
  if (!isRecord(document) || (document.interpreterSettings !== undefined && !isRecord(document.interpreterSettings))) {
    throw new Error('interpreter.json is not an object with an "interpreterSettings" object; fix or remove it (Zeppelin would not start with it either)');
  }
  const settings = (document.interpreterSettings ??= {}) as Record<string, unknown>;
  const current = settings[seed.setting];
  if (current !== undefined && (!isRecord(current) || (current.properties !== undefined && !isRecord(current.properties)))) {
    throw new Error(`interpreter.json's setting "${seed.setting}" is not an object with a "properties" object; fix or remove it`);
  }
  // Zeppelin requires id (equal to the key), name and group; the rest it defaults.
  const setting: Record<string, unknown> = { dependencies: [], ...current, id: seed.setting, name: seed.setting, group: seed.group };
  const properties: Record<string, unknown> = { ...(setting.properties as Record<string, unknown> | undefined) };
  for (const key of previouslyOwned) if (!(key in seed.properties)) delete properties[key];
  for (const [key, value] of Object.entries(seed.properties)) {
    // String values: Gson reads a JSON number into a Double, so 2 would reach Spark as "2.0".
    properties[key] = { name: key, value, type: 'string' };
  }
  setting.properties = properties;
  settings[seed.setting] = setting;
  document.interpreterRepositories ??= [];
  return { json: document, owned: Object.keys(seed.properties).sort() };
}
