// The `sparkplane` command line and the addresses `stage` derives from it.
import * as fc from 'fast-check';
import { MAIN_USAGE, parseCommandLine, STAGE_USAGE } from '../../lib/cli/arguments';
import { defaultTokenSecretName, inClusterBlobUrl, serviceProxyBlobPath, serviceProxyResourceName } from '../../lib/cli/staging-endpoint';

const SHA = 'a'.repeat(64);

describe('the sparkplane command line', () => {
  it('stages files with the defaults: context namespace, Service "staging-server", Secret "<service>-tokens"', () => {
    expect(parseCommandLine(['stage', 'app.jar', 'data/x.csv'])).toEqual({
      command: 'stage',
      options: { files: ['app.jar', 'data/x.csv'], namespace: undefined, service: 'staging-server', secret: 'staging-server-tokens', context: undefined, kubeconfig: undefined, json: false, quiet: false },
    });
  });

  it('reads every option in its long, short and --flag=value forms, wherever it stands among the files', () => {
    expect(parseCommandLine(['stage', '-n', 'spark', 'a.jar', '--service=stager', '--context', 'prod', '--kubeconfig=/k/config', '--json', '-q', 'b.py'])).toEqual({
      command: 'stage',
      options: { files: ['a.jar', 'b.py'], namespace: 'spark', service: 'stager', secret: 'stager-tokens', context: 'prod', kubeconfig: '/k/config', json: true, quiet: true },
    });
    expect(parseCommandLine(['stage', '--namespace=spark', '--secret', 'my-tokens', '--quiet', 'a.jar'])).toMatchObject({
      options: { namespace: 'spark', service: 'staging-server', secret: 'my-tokens', quiet: true },
    });
  });

  it('takes every argument after -- as a file, even one that looks like an option', () => {
    expect(parseCommandLine(['stage', '--json', '--', '--weird-name.jar', '-n'])).toMatchObject({ options: { files: ['--weird-name.jar', '-n'], json: true } });
  });

  it('prints help and the version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help', text: MAIN_USAGE });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help', text: MAIN_USAGE });
    expect(parseCommandLine(['stage', '--help'])).toEqual({ command: 'help', text: STAGE_USAGE });
    expect(parseCommandLine(['stage', 'a.jar', '-h'])).toEqual({ command: 'help', text: STAGE_USAGE });
    expect(parseCommandLine(['help', 'stage'])).toEqual({ command: 'help', text: STAGE_USAGE });
    expect(parseCommandLine(['--version'])).toEqual({ command: 'version' });
    expect(STAGE_USAGE).toContain('services/proxy with resourceNames ["<service>:http"]');
  });

  it('reports every mistake at once, with the option and the rule it breaks', () => {
    const parsed = parseCommandLine(['stage', '--namespace', 'Spark_NS', '--service=stg.v2', '--secret', 'Tokens!', '--colour', '--json=yes', '--context']);
    expect(parsed.command).toBe('usage-error');
    const message = (parsed as { message: string }).message;
    expect(message.split('\n')).toEqual([
      'unknown option "--colour"',
      '--json takes no value',
      '--context needs a value',
      '--namespace "Spark_NS" must consist of lower-case letters, digits and "-", and start and end with a letter or digit (RFC 1123 label)',
      '--service "stg.v2" must consist of lower-case letters, digits and "-", and start and end with a letter or digit (RFC 1123 label)',
      '--secret "Tokens!" must consist of lower-case letters, digits, "-" and ".", and start and end with a letter or digit (RFC 1123 subdomain)',
      'no file given: name at least one file to stage',
      '(sparkplane stage --help lists the options)',
    ]);
  });

  it('refuses an option given twice, an unknown command and no command', () => {
    expect(parseCommandLine(['stage', '-n', 'a', '--namespace', 'b', 'x'])).toEqual({ command: 'usage-error', message: expect.stringContaining('--namespace given twice') });
    expect(parseCommandLine(['upload', 'x'])).toEqual({ command: 'usage-error', message: expect.stringMatching(/^unknown command "upload"\nusage: sparkplane/) });
    expect(parseCommandLine([])).toEqual({ command: 'usage-error', message: expect.stringMatching(/^no command given\nusage: sparkplane/) });
  });

  it('never throws, whatever the arguments', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('stage', '-n', '--json', '--', '--service', '--secret=x', '-q'))), (argv) => {
        const parsed = parseCommandLine(argv);
        expect(['help', 'version', 'stage', 'usage-error']).toContain(parsed.command);
      }),
    );
  });
});

describe('the addresses of a staged file', () => {
  const ref = { namespace: 'spark', service: 'staging-server' };

  it('goes through the API server\'s proxy as <service>:http, the one form an uploader Role can name', () => {
    expect(serviceProxyResourceName('staging-server')).toBe('staging-server:http');
    expect(serviceProxyBlobPath(ref, SHA)).toBe(`/api/v1/namespaces/spark/services/staging-server:http/proxy/v1/blobs/sha256/${SHA}`);
  });

  it('is fetched in the cluster from the Service\'s DNS name on the data port', () => {
    expect(inClusterBlobUrl(ref, SHA)).toBe(`http://staging-server.spark.svc:7080/v1/blobs/sha256/${SHA}`);
    expect(defaultTokenSecretName('stager')).toBe('stager-tokens');
  });

  it('refuses anything but a SHA-256 as a digest, so no input becomes a path', () => {
    for (const bad of ['../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), `${'a'.repeat(64)}/x`]) {
      expect(() => serviceProxyBlobPath(ref, bad)).toThrow(/not a SHA-256 digest/);
    }
  });
});
