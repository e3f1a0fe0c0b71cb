// What a ServiceAccount may do, asked of the real API server's authorizer with SubjectAccessReviews:
// the RBAC tests compare the answers with what the renderers promise.
import { kubectlDocuments, manifestStream } from './kube';

/** One question for the API server: may the subject do this? `name` and `subresource` narrow it (e.g. `services/proxy` of one Service). */
export type AccessCheck = { verb: string; resource: string; namespace: string; name?: string; subresource?: string; expected: 'allowed' | 'denied' };

/** Asks the API server, through SubjectAccessReviews, what a ServiceAccount may do; one line per check. */
export function accessOf(namespace: string, serviceAccount: string, checks: readonly AccessCheck[]): { actual: string[]; expected: string[] } {
  const reviews = checks.map((check) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${namespace}:${serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      resourceAttributes: { verb: check.verb, group: '', resource: check.resource, namespace: check.namespace, name: check.name, subresource: check.subresource },
    },
  }));
  const answers = kubectlDocuments(['create', '-f', '-'], { input: manifestStream(reviews) });
  expect(answers).toHaveLength(checks.length);
  const phrase = (c: { verb: string; resource: string; namespace?: string; name?: string; subresource?: string }) =>
    `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.name ? ` ${c.name}` : ''} in ${c.namespace || '(cluster scope)'}`;
  return {
    actual: answers.map((a) => `${phrase(a.spec.resourceAttributes)}: ${a.status.allowed ? 'allowed' : 'denied'}`).sort(),
    expected: checks.map((c) => `${phrase(c)}: ${c.expected}`).sort(),
  };
}

