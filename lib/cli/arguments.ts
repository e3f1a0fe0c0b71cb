// The `sparkplane` command line, parsed into plain data: which command, with which options. Pure, so
// every flag and every mistake is unit-tested without a cluster; the exit code of a usage error is 2.
import { dnsLabelProblem, dnsSubdomainProblem } from '../core/kube-names';
import { STAGING_PORT_NAME } from '../core/staging/protocol';
import { DEFAULT_STAGING_SERVICE, defaultTokenSecretName } from './staging-endpoint';

/** What `sparkplane stage` was asked to do. */
export interface StageOptions {
  /** The files to stage, as given. */
  readonly files: readonly string[];
  /** The staging server's namespace; undefined means the kubeconfig context's namespace, else "default". */
  readonly namespace?: string;
  /** The staging server's Service. */
  readonly service: string;
  /** The Secret holding the upload token. */
  readonly secret: string;
  /** The kubeconfig context; undefined means its current context. */
  readonly context?: string;
  /** The kubeconfig file; undefined means KUBECONFIG, else ~/.kube/config (or the pod's service account). */
  readonly kubeconfig?: string;
  /** One JSON document on stdout instead of the human report. */
  readonly json: boolean;
  /** No progress and no report: errors only (the JSON document is still printed with --json). */
  readonly quiet: boolean;
}

/** A parsed command line. */
export type CommandLine =
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'version' }
  | { readonly command: 'stage'; readonly options: StageOptions }
  | { readonly command: 'usage-error'; readonly message: string };

export const MAIN_USAGE = `usage: sparkplane <command> [options]

commands:
  stage <files...>   upload local files to the staging server through the Kubernetes API server
                     (sparkplane stage --help for its options)

options:
  -h, --help         print this help
  --version          print the version`;

export const STAGE_USAGE = `usage: sparkplane stage [options] <file>...

Uploads each file to the staging server through the Kubernetes API server's service proxy, with your
kubeconfig credentials, unless a file with the same SHA-256 is already there; prints each file's
SHA-256 and the URL the cluster fetches it from.

options:
  -n, --namespace <name>   the staging server's namespace (default: the kubeconfig context's namespace, else "default")
  --service <name>         the staging server's Service (default: "${DEFAULT_STAGING_SERVICE}")
  --secret <name>          the Secret holding its upload token (default: "<service>-tokens")
  --context <name>         the kubeconfig context (default: the current context)
  --kubeconfig <file>      the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
  --json                   print one JSON document on stdout instead of the report
  -q, --quiet              print nothing but errors (the JSON document still, with --json)
  -h, --help               print this help

Your Kubernetes user needs, in the staging server's namespace: get and update on
services/proxy with resourceNames ["<service>:${STAGING_PORT_NAME}"], and get on the Secret.

exit status: 0 when every file is staged, 1 when one is not, 2 on a usage error (nothing uploaded).`;

interface FlagSpec {
  readonly key: 'namespace' | 'service' | 'secret' | 'context' | 'kubeconfig' | 'json' | 'quiet' | 'help';
  readonly takesValue: boolean;
}

const STAGE_FLAGS: Record<string, FlagSpec> = {
  '--namespace': { key: 'namespace', takesValue: true },
  '-n': { key: 'namespace', takesValue: true },
  '--service': { key: 'service', takesValue: true },
  '--secret': { key: 'secret', takesValue: true },
  '--context': { key: 'context', takesValue: true },
  '--kubeconfig': { key: 'kubeconfig', takesValue: true },
  '--json': { key: 'json', takesValue: false },
  '--quiet': { key: 'quiet', takesValue: false },
  '-q': { key: 'quiet', takesValue: false },
  '--help': { key: 'help', takesValue: false },
  '-h': { key: 'help', takesValue: false },
};

/** Parses `sparkplane`'s arguments (without the node and script paths). */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return { command: 'usage-error', message: `no command given\n${MAIN_USAGE}` };
    case '-h':
    case '--help':
      return { command: 'help', text: MAIN_USAGE };
    case 'help':
      return rest[0] === 'stage' ? { command: 'help', text: STAGE_USAGE } : { command: 'help', text: MAIN_USAGE };
    case '--version':
    case 'version':
      return { command: 'version' };
    case 'stage':
      return parseStageArguments(rest);
    default:
      return { command: 'usage-error', message: `unknown command ${JSON.stringify(command)}\n${MAIN_USAGE}` };
  }
}

/** Parses the arguments after `stage`. */
export function parseStageArguments(args: readonly string[]): CommandLine {
  const values: Partial<Record<FlagSpec['key'], string | true>> = {};
  const files: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      files.push(arg);
      continue;
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    const spec = STAGE_FLAGS[name];
    if (!spec) {
      problems.push(`unknown option ${JSON.stringify(name)}`);
      continue;
    }
    if (spec.key === 'help') return { command: 'help', text: STAGE_USAGE };
    if (!spec.takesValue) {
      if (equals > 0) problems.push(`${name} takes no value`);
      else values[spec.key] = true;
      continue;
    }
    const value = equals > 0 ? arg.slice(equals + 1) : args[++i];
    if (value === undefined || value === '') {
      problems.push(`${name} needs a value`);
      continue;
    }
    if (values[spec.key] !== undefined) problems.push(`${name} given twice`);
    values[spec.key] = value;
  }

  const text = (key: FlagSpec['key']) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const namespace = text('namespace');
  const service = text('service') ?? DEFAULT_STAGING_SERVICE;
  const secret = text('secret') ?? defaultTokenSecretName(service);
  // A namespace and a Service name are DNS labels; a Secret name is a DNS subdomain.
  const names: Array<[string, string | undefined, (name: string) => string | undefined]> = [
    ['--namespace', namespace, dnsLabelProblem],
    ['--service', service, dnsLabelProblem],
    ['--secret', secret, dnsSubdomainProblem],
  ];
  for (const [flag, name, problemOf] of names) {
    const problem = name === undefined ? undefined : problemOf(name);
    if (problem) problems.push(`${flag} ${JSON.stringify(name)} ${problem}`);
  }
  if (files.length === 0) problems.push('no file given: name at least one file to stage');
  if (problems.length > 0) return { command: 'usage-error', message: `${problems.join('\n')}\n(sparkplane stage --help lists the options)` };

  return {
    command: 'stage',
    options: {
      files,
      namespace,
      service,
      secret,
      context: text('context'),
      kubeconfig: text('kubeconfig'),
      json: values.json === true,
      quiet: values.quiet === true,
    },
  };
}
