#!/usr/bin/env bash
# The apache/spark image's ENTRYPOINT (/opt/entrypoint.sh), for the e2e suite's process kubelet
# (test/e2e/support/process-kubelet.ts), which runs it as the image would, with SPARK_HOME=/opt/spark.
#
# Same behaviour as the official image's script (apache/spark-docker, <version>/*/entrypoint.sh):
#   driver ARGS...   spark-submit with the driver's bind address, client deploy mode, then ARGS
#   executor         java with $SPARK_JAVA_OPT_*, -Xms/-Xmx $SPARK_EXECUTOR_MEMORY and the classpath
#                    $SPARK_CONF_DIR:$SPARK_HOME/jars/*:$PWD, running KubernetesExecutorBackend
#   anything else    run as given
# Left out: tini and gosu (the kubelet already runs the process as the pod's user, with no
# privileges) and the fake passwd entry (the kubelet's /etc/passwd for the pod has the spark user).
set -eo pipefail

: "${SPARK_HOME:?SPARK_HOME is not set}"
if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(java -XshowSettings:properties -version 2>&1 >/dev/null | awk '/java.home/ {print $3}')"
fi

classpath="${SPARK_CLASSPATH:-}:${SPARK_HOME}/jars/*"
java_opts=()
for name in "${!SPARK_JAVA_OPT_@}"; do  # in bash's (lexical) order, as the image does
  java_opts+=("${!name}")
done
if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then classpath="$classpath:$SPARK_EXTRA_CLASSPATH"; fi
if [ -n "${HADOOP_CONF_DIR+x}" ]; then classpath="$HADOOP_CONF_DIR:$classpath"; fi
if [ -n "${SPARK_CONF_DIR+x}" ]; then classpath="$SPARK_CONF_DIR:$classpath"
else classpath="$SPARK_HOME/conf:$classpath"; fi
classpath="$classpath:$PWD"

case "${1:-}" in
  driver)
    shift
    exec "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}" \
      --deploy-mode client \
      "$@"
    ;;
  executor)
    shift
    exec "${JAVA_HOME}/bin/java" \
      "${java_opts[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" \
      -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath:${SPARK_DIST_CLASSPATH:-}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac
