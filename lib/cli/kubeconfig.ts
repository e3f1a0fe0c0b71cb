// The user's kubeconfig, through @kubernetes/client-node's KubeConfig: it understands every way a
// kubeconfig authenticates (certificates, tokens, exec plugins, proxies), which the CLI must not
// reimplement. The only module of the CLI that loads client-node (ESM-only: Jest cannot import it).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { KubeConnection } from './api-server-client';

/** A kubeconfig context, ready to use. */
export interface LoadedKubeconfig {
  readonly connection: KubeConnection;
  /** The context's namespace, if it names one. */
  readonly namespace?: string;
  /** The context in use, for messages. */
  readonly context: string;
}

/**
 * Loads `contents` (a kubeconfig's text, as the Pulumi front end may be given it), else `file`, else
 * $KUBECONFIG, else ~/.kube/config, else the pod's service account; and selects `context` (else the
 * current one). Throws an Error a user can act on.
 */
export function loadKubeconfig(options: { readonly file?: string; readonly contents?: string; readonly context?: string }): LoadedKubeconfig {
  const config = new KubeConfig();
  if (options.contents) {
    try {
      config.loadFromString(options.contents);
    } catch (error) {
      throw new Error(`cannot load the kubeconfig given as text: ${firstLine(error)}`);
    }
  } else if (options.file) {
    try {
      config.loadFromFile(options.file);
    } catch (error) {
      throw new Error(`cannot load the kubeconfig ${options.file} (--kubeconfig): ${firstLine(error)}`);
    }
  } else {
    if (!defaultSourceExists()) {
      throw new Error('no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config (e.g. with your cloud provider\'s CLI)');
    }
    try {
      config.loadFromDefault();
    } catch (error) {
      throw new Error(`cannot load the kubeconfig (${process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config'}): ${firstLine(error)}`);
    }
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new Error(`the kubeconfig has no context ${JSON.stringify(options.context)} (--context); it has ${known.length ? known.map((n) => JSON.stringify(n)).join(', ') : 'none'}`);
    }
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig context ${JSON.stringify(context)} names no cluster: choose another with --context`);
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new Error(`the cluster ${JSON.stringify(cluster.name)} of the kubeconfig has no valid server URL (${JSON.stringify(cluster.server)})`);
  }
  return {
    connection: { server, applyTo: (requestOptions) => config.applyToHTTPSOptions(requestOptions) },
    namespace: config.getContextObject(context)?.namespace || undefined,
    context,
  };
}

/** KubeConfig.loadFromDefault falls back to http://localhost:8080 when it finds nothing: say so instead. */
function defaultSourceExists(): boolean {
  if (process.env.KUBECONFIG?.split(path.delimiter).some((file) => file && fs.existsSync(file))) return true;
  if (fs.existsSync(path.join(os.homedir(), '.kube', 'config'))) return true;
  return Boolean(process.env.KUBERNETES_SERVICE_HOST) && fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
}

/**
 * The first line of a load error: YAML parse errors quote the lines around the fault, which may hold
 * a token or a key.
 */
function firstLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).split('\n')[0];
}
