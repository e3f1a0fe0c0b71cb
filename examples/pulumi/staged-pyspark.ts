// A PySpark job from a file on this machine: the same stack as the cdk8s example. `pulumi up`
// uploads the file to the staging server before the driver starts.
import * as path from 'path';
import { SparkApplication, StagingServer } from 'sparkplane/pulumi';

/** The stack; `jobFile` is a knob the integration suite turns to see what an update touches. */
export async function stagedPySparkProgram({ jobFile = path.join(__dirname, '..', 'jobs', 'pi.py') } = {}) {
  const staging = new StagingServer('staging', {
    namespace: 'spark-staged',
    image: 'registry.example.com/sparkplane:0.1.0',
    apiServerPeers: [{ cidr: '10.0.0.10/32' }],
  });
  const app = new SparkApplication('staged-pi', {
    namespace: 'spark-staged',
    sparkVersion: '4.0.2',
    mainApplicationFile: jobFile,
    arguments: ['1000000'],
    staging,
  });
  return { driverJob: app.driverJobName };
}
