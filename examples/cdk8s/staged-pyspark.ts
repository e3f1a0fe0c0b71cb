// A PySpark job from a file on this machine, with cdk8s: the namespace's staging server holds it by
// digest, and the driver fetches it. `cdk8s synth`, then `npx sparkplane stage ../jobs/pi.py -n
// spark-staged`, then `kubectl apply -f dist/`.
import * as path from 'path';
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { SparkApplication, StagingServer } from 'sparkplane/cdk8s';

export class StagedPySparkChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'spark-staged', ...props });
    const staging = new StagingServer(this, 'staging', {
      image: 'registry.example.com/sparkplane:0.1.0',
      // Where the API server's service proxy connects from (`kubectl get endpoints kubernetes -n default`).
      apiServerPeers: [{ cidr: '10.0.0.10/32' }],
    });
    new SparkApplication(this, 'staged-pi', {
      sparkVersion: '4.0.2',
      // A local file: its digest goes into the manifests, its bytes to the staging server.
      mainApplicationFile: path.join(__dirname, '..', 'jobs', 'pi.py'),
      arguments: ['1000000'],
      staging,
    });
  }
}
