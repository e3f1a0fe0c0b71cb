// Kubernetes naming rules, checked at synth time so a bad name fails here with the property that
// holds it, not later as an API server rejection of some derived object.

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Why `name` is not an RFC 1123 DNS label of at most `maxLength` characters, or undefined if it is. */
export function dnsLabelProblem(name: unknown, maxLength = 63): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > maxLength) return `must be at most ${maxLength} characters (is ${name.length})`;
  if (!dnsLabel.test(name)) {
    return 'must consist of lower-case letters, digits and "-", and start and end with a letter or digit (RFC 1123 label)';
  }
  return undefined;
}

/** Why `name` is not an RFC 1123 DNS subdomain (most object names), or undefined if it is. */
export function dnsSubdomainProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > 253) return `must be at most 253 characters (is ${name.length})`;
  if (!dnsSubdomain.test(name)) {
    return 'must consist of lower-case letters, digits, "-" and ".", and start and end with a letter or digit (RFC 1123 subdomain)';
  }
  return undefined;
}

/** Why `key` is not a valid label or annotation key (`[prefix/]name`), or undefined if it is. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'must be "name" or "prefix/name"';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefixProblem = dnsSubdomainProblem(parts[0]);
    if (prefixProblem) return `prefix ${prefixProblem}`;
  }
  if (name.length > 63) return 'name part must be at most 63 characters';
  if (!labelName.test(name)) return 'name part must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  return undefined;
}

/** Why `value` is not a valid label value, or undefined if it is. */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63) return `must be at most 63 characters (is ${value.length})`;
  if (!labelValue.test(value)) return 'must be empty or alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  return undefined;
}

/** Why `name` is not a valid environment variable name, or undefined if it is. */
export function envVarNameProblem(name: string): string | undefined {
  return envVarName.test(name) ? undefined : 'must match [-._a-zA-Z][-._a-zA-Z0-9]* (a C identifier, dots and dashes allowed)';
}
