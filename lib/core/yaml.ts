// A small YAML emitter for JSON data (objects, arrays, strings, numbers, booleans, null), used for
// the executor pod template. Strings are double-quoted with JSON escapes, which YAML's double-quoted
// scalars share, so no value can change meaning (no "yes", "0x1" or "1e3" surprises); keys stay plain
// where that is unambiguous. It is many times faster than a general YAML library's document model,
// and rendering an application is dominated by this file otherwise.

const plainKey = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const reservedWords = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

function key(name: string): string {
  return plainKey.test(name) && !reservedWords.test(name) ? name : JSON.stringify(name);
}

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  throw new Error(`cannot write a ${typeof value} as YAML`);
}

const isCollection = (value: unknown): value is object => typeof value === 'object' && value !== null;
const isEmpty = (value: object) => (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);

function emit(value: unknown, indent: string, lines: string[], prefix: string): void {
  if (!isCollection(value) || isEmpty(value)) {
    lines.push(`${prefix}${isCollection(value) ? (Array.isArray(value) ? '[]' : '{}') : scalar(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      // The first line of an item shares the "- " line; the rest indent under it.
      emitItem(item, indent, lines, i === 0 ? prefix : indent);
    });
    return;
  }
  let first = true;
  for (const [name, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const linePrefix = `${first ? prefix : indent}${key(name)}:`;
    first = false;
    if (isCollection(item) && !isEmpty(item)) {
      lines.push(linePrefix);
      emit(item, Array.isArray(item) ? indent : `${indent}  `, lines, Array.isArray(item) ? indent : `${indent}  `);
    } else {
      lines.push(`${linePrefix} ${isCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
    }
  }
}

function emitItem(item: unknown, indent: string, lines: string[], prefix: string): void {
  if (isCollection(item) && !isEmpty(item)) emit(item, `${indent}  `, lines, `${prefix}- `);
  else lines.push(`${prefix}- ${isCollection(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
}

/** `value` (JSON data) as a YAML document. */
export function toYaml(value: unknown): string {
  const lines: string[] = [];
  emit(value, '', lines, '');
  return lines.join('\n') + '\n';
}
