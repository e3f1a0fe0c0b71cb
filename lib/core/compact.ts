/** A copy of `object` without its undefined fields: an unset prop is "not given", and rendered objects compare equal. */
export function compact<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
