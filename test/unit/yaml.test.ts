import fc from 'fast-check';
import { parse } from 'yaml';
import { toYaml } from '../../lib/core';

describe('toYaml', () => {
  it('writes any JSON value so that a YAML parser reads back the same value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      // JSON has no -0; YAML reads "0" back as 0, as JSON would.
      const expected = JSON.parse(JSON.stringify(value));
      expect(parse(toYaml(value))).toEqual(expected);
    }), { numRuns: 2000, seed: 20261125 });
  });

  it('quotes strings and keys that YAML 1.1 parsers (SnakeYAML, in Spark) would read as booleans or numbers', () => {
    const text = toYaml({ on: 'yes', y: 'no', n: '0x10', version: '1e3', plain: 'text' });
    expect(text).toBe('"on": "yes"\n"y": "no"\n"n": "0x10"\nversion: "1e3"\nplain: "text"\n');
  });
});
