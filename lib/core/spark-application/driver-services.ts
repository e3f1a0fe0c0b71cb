// The driver's Services: a headless one whose DNS name is spark.driver.host (executors dial the
// driver's RPC and block-manager ports through it), and a ClusterIP one for the Spark UI.
import type { KubeObject } from '../kube-objects';
import { driverSelector } from './driver-job';
import { applicationLabels } from './naming';
import type { ResolvedSparkApplication } from './resolve';

/** The headless driver Service and the UI Service. */
export function renderDriverServices(app: ResolvedSparkApplication): KubeObject[] {
  const { driver } = app;
  const labels = applicationLabels(app.name, app.spec.labels, 'driver');
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.names.driverService, namespace: app.namespace, labels },
      spec: {
        clusterIP: 'None',
        // Executors may resolve the driver before it reports ready; a finished driver pod is never an endpoint.
        publishNotReadyAddresses: true,
        selector: driverSelector(app),
        ports: [
          { name: 'driver-rpc', port: driver.port, targetPort: driver.port, protocol: 'TCP' },
          { name: 'blockmanager', port: driver.blockManagerPort, targetPort: driver.blockManagerPort, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.names.uiService, namespace: app.namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: driverSelector(app),
        ports: [{ name: 'spark-ui', port: driver.uiPort, targetPort: driver.uiPort, protocol: 'TCP' }],
      },
    },
  ];
}
