// Pulumi Inputs meet a core that renders plain values. An Input that is already a plain string is
// passed through. An unknown one (an Output of another resource) is rendered as a placeholder token
// that satisfies validation, and every string holding a token becomes an Output that substitutes
// the resolved value, so the set of resources is known at preview time and none is created inside
// an `apply`. A resolved value is validated when it arrives.
import * as pulumi from '@pulumi/pulumi';

const TOKEN = /spkpl0in(\d+)x/g;

/** Collects Inputs, handing out a plain stand-in for each unknown one. */
export class InputPlaceholders {
  private readonly inputs: Array<pulumi.Input<string>> = [];

  /**
   * The plain value of `input`, or a token standing for it. A token ("spkpl0in<n>x") is at once a
   * DNS label and an image reference, so it passes the core's validation of the fields that take
   * Inputs. `check` validates the resolved value; it returns a problem or undefined.
   */
  public plain(input: pulumi.Input<string>, check: (value: string) => string | undefined, what: string): string;
  public plain(input: pulumi.Input<string> | undefined, check: (value: string) => string | undefined, what: string): string | undefined;
  public plain(input: pulumi.Input<string> | undefined, check: (value: string) => string | undefined, what: string): string | undefined {
    if (input === undefined || typeof input === 'string') return input;
    const checked = pulumi.output(input).apply((value) => {
      const problem = check(value);
      if (problem) throw new Error(`${what} = ${JSON.stringify(value)}: ${problem}`);
      return value;
    });
    this.inputs.push(checked);
    return `spkpl0in${this.inputs.length - 1}x`;
  }

  /** `value` with every token replaced by its Input: plain data when there are none, Outputs where needed. */
  public substitute<T>(value: T): pulumi.Input<T> {
    if (this.inputs.length === 0) return value;
    return this.walk(value) as pulumi.Input<T>;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.substituteString(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
    }
    return value;
  }

  private substituteString(text: string): pulumi.Input<string> {
    const indices = [...text.matchAll(TOKEN)].map((match) => Number(match[1]));
    if (indices.length === 0) return text;
    return pulumi.all(indices.map((i) => this.inputs[i])).apply((values) => {
      let next = 0;
      return text.replace(TOKEN, () => values[next++]);
    });
  }
}
