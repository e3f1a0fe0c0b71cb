// A Pulumi program under mocks whose namespace Output resolves to an invalid name: the run must fail
// with sparkplane's message. Run as its own process (the failure is an unhandled rejection, as under
// the real engine), by test/unit/pulumi-inputs.test.ts. With argument "shuffle", the name is valid
// but not among the namespaces of the application's shuffle service.
import * as pulumi from '@pulumi/pulumi';
import './pulumi-mocks';
import { SparkApplication } from '../../lib/pulumi';
import { minimalSpec } from './specs';

if (process.argv[2] === 'shuffle') {
  new SparkApplication('bad', {
    ...minimalSpec,
    namespace: pulumi.output(Promise.resolve('elsewhere')),
    podSecurity: 'privileged',
    shuffleService: { applicationNamespaces: ['batch'] },
  });
} else {
  new SparkApplication('bad', { ...minimalSpec, namespace: pulumi.output(Promise.resolve('Not_A_Namespace')) });
}
