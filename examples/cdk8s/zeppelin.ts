// Zeppelin for a team, with cdk8s: notebooks whose Spark interpreter (Scala, SQL, PySpark) runs
// Spark 4.0 on the cluster, scaling executors with the load. Create the users Secret first:
//   kubectl -n notebooks create secret generic zeppelin-users --from-literal=users='alice = change-me, admin'
// then `cdk8s synth`, `kubectl apply -f dist/`, and `kubectl -n notebooks port-forward svc/zeppelin-server 8080`.
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { Zeppelin } from 'sparkplane/cdk8s';

export class ZeppelinChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'notebooks', ...props });
    new Zeppelin(this, 'zeppelin', {
      sparkplaneImage: 'registry.example.com/sparkplane:0.1.0',
      auth: { users: { secretName: 'zeppelin-users', key: 'users' } },
      spark: {
        sparkVersion: '4.0.2',
        driver: { memory: '2g' },
        executor: { cores: 1, memory: '2g' },
        dynamicAllocation: { maxExecutors: 4 },
      },
      storageSize: '5Gi',
    });
  }
}
