// Zeppelin for a team: the same stack as the cdk8s example. Create the users Secret first (see there).
import { Zeppelin } from 'sparkplane/pulumi';

/** The stack; `executorMemory` is a knob the integration suite turns to see what an update touches. */
export async function zeppelinProgram({ executorMemory = '2g' } = {}) {
  const zeppelin = new Zeppelin('zeppelin', {
    namespace: 'notebooks',
    sparkplaneImage: 'registry.example.com/sparkplane:0.1.0',
    auth: { users: { secretName: 'zeppelin-users', key: 'users' } },
    spark: {
      sparkVersion: '4.0.2',
      driver: { memory: '2g' },
      executor: { cores: 1, memory: executorMemory },
      dynamicAllocation: { maxExecutors: 4 },
    },
    storageSize: '5Gi',
  });
  return { service: zeppelin.serviceName };
}
