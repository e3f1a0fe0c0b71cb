#!/usr/bin/env bash
# shellcheck disable=SC2015 # ok/bad always succeed, so A && ok || bad is an if/else
# Smoke test of a running `scripts/cluster up` control plane, using only the kubectl it built.
# Checks PodSecurity admission, scheduling onto KWOK nodes, Jobs, garbage collection, RBAC
# (auth can-i and SubjectAccessReview), service-account tokens and server-side apply.
# Usage: scripts/cluster up && scripts/cluster-harness/smoke.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
eval "$("$HERE/../cluster" env)"
KUBECTL="$(dirname "$KUBECONFIG")/bin/kubectl"
k() { "$KUBECTL" --request-timeout=20s "$@"; }
NS="sparkplane-smoke-$$"
pass=0
fail=0
ok() { printf 'ok   %s\n' "$*"; pass=$((pass + 1)); }
bad() { printf 'FAIL %s\n' "$*"; fail=$((fail + 1)); }
trap 'k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true' EXIT

restricted_pod() { # name [extra metadata lines]
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
$2
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 185
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: main
    image: registry.invalid/sparkplane/noop:1
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
EOF
}

# 0. versions
server="$(k version -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -n1)"
[[ "$server" == v1.36.3 ]] && ok "server version $server" || bad "server version is '$server'"

# 1. PodSecurity: restricted namespace rejects a plain pod, admits a restricted one
k create namespace "$NS" >/dev/null
k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
if out="$(k -n "$NS" run plain --image=registry.invalid/sparkplane/noop:1 --restart=Never 2>&1)"; then
  bad "plain pod was admitted in a restricted namespace: $out"
else
  grep -q 'violates PodSecurity "restricted' <<<"$out" && ok "plain pod rejected by PodSecurity" || bad "plain pod rejected for another reason: $out"
fi
restricted_pod good "" | k -n "$NS" create -f - >/dev/null && ok "restricted pod admitted" || bad "restricted pod rejected"
if k -n "$NS" wait pod/good --for=jsonpath='{.status.phase}'=Running --timeout=60s >/dev/null; then
  node="$(k -n "$NS" get pod good -o jsonpath='{.spec.nodeName}')"
  ip="$(k -n "$NS" get pod good -o jsonpath='{.status.podIP}')"
  ann="$(k get node "$node" -o jsonpath='{.metadata.annotations.kwok\.x-k8s\.io/node}')"
  [[ "$ann" == fake ]] && ok "restricted pod Running on KWOK node $node (fake IP $ip)" || bad "pod on non-KWOK node '$node'"
else
  bad "restricted pod not Running: $(k -n "$NS" get pod good -o wide 2>&1 | tail -n1)"
fi

# 2. A Job creates a pod (KWOK then completes it)
k -n "$NS" create -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: job1}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, runAsUser: 185, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: main
        image: registry.invalid/sparkplane/noop:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
if k -n "$NS" wait job/job1 --for=condition=Complete --timeout=60s >/dev/null; then
  n="$(k -n "$NS" get pods -l batch.kubernetes.io/job-name=job1 -o name | wc -l)"
  ok "Job created $n pod(s) and completed"
else
  bad "Job did not complete: $(k -n "$NS" get job,pods -l batch.kubernetes.io/job-name=job1 2>&1 | tr '\n' ' ')"
fi

# 3. Garbage collection: a pod owned by another pod goes when its owner is deleted
restricted_pod owner "" | k -n "$NS" create -f - >/dev/null
uid="$(k -n "$NS" get pod owner -o jsonpath='{.metadata.uid}')"
restricted_pod dependent "  ownerReferences:
  - {apiVersion: v1, kind: Pod, name: owner, uid: $uid}" | k -n "$NS" create -f - >/dev/null
k -n "$NS" delete pod owner --wait=true --timeout=60s >/dev/null
if k -n "$NS" wait pod/dependent --for=delete --timeout=60s >/dev/null 2>&1; then
  ok "dependent pod garbage-collected after its owner was deleted"
else
  bad "dependent pod still there: $(k -n "$NS" get pod dependent 2>&1 | tail -n1)"
fi

# 4. RBAC: auth can-i and a SubjectAccessReview, before and after a RoleBinding
sa="system:serviceaccount:$NS:default"
before="$(k auth can-i list pods -n "$NS" --as "$sa" 2>/dev/null || true)"
k -n "$NS" create role pod-reader --verb=get,list,watch --resource=pods >/dev/null
k -n "$NS" create rolebinding pod-reader --role=pod-reader --serviceaccount="$NS:default" >/dev/null
after="$(k auth can-i list pods -n "$NS" --as "$sa" 2>/dev/null || true)"
[[ "$before" == no && "$after" == yes ]] && ok "auth can-i: $before before the RoleBinding, $after after" || bad "auth can-i: before=$before after=$after"
allowed="$(k create -o jsonpath='{.status.allowed}' -f - <<EOF
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: $sa
  groups: [system:serviceaccounts, "system:serviceaccounts:$NS", system:authenticated]
  resourceAttributes: {namespace: $NS, verb: list, resource: pods}
EOF
)"
[[ "$allowed" == true ]] && ok "SubjectAccessReview allowed=$allowed" || bad "SubjectAccessReview allowed=$allowed"

# 5. Service-account token: issued (TokenRequest) and accepted by the API server
token="$(k -n "$NS" create token default --duration=10m)"
who="$("$KUBECTL" --kubeconfig /dev/null --server "$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')" \
  --certificate-authority "$(dirname "$KUBECONFIG")/pki/ca.crt" --token "$token" auth whoami -o jsonpath='{.status.userInfo.username}')"
[[ "$who" == "$sa" ]] && ok "service-account token authenticates as $who" || bad "token authenticated as '$who'"
pods="$("$KUBECTL" --kubeconfig /dev/null --server "$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')" \
  --certificate-authority "$(dirname "$KUBECONFIG")/pki/ca.crt" --token "$token" -n "$NS" get pods -o name | wc -l)"
((pods > 0)) && ok "service account lists $pods pod(s) through its RoleBinding" || bad "service account listed no pods"

# 6. Server-side apply, twice (the second is a no-op)
cm="apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, namespace: $NS}
data: {a: '1'}"
k apply --server-side --field-manager=sparkplane-smoke -f - <<<"$cm" >/dev/null &&
  out="$(k apply --server-side --field-manager=sparkplane-smoke -f - <<<"$cm")" &&
  grep -q 'serverside-applied' <<<"$out" && ok "server-side apply ($out)" || bad "server-side apply failed"

printf '%s passed, %s failed\n' "$pass" "$fail"
((fail == 0))
