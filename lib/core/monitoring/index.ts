export * from './spark-metrics';
export * from './spark-metric-names';
export * from './scrape-configs';
export * from './prometheus-spec';
export { renderPrometheus, prometheusConfig, prometheusNames, ALERT_RULES_FILE, PROMETHEUS_PORT, PUSHGATEWAY_PORT } from './prometheus-render';
export { validatePrometheus } from './prometheus-validate';
export * from './alert-rules';
export * from './operator-objects';
export * from './grafana-dashboard';
