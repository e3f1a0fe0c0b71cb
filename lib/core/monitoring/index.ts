export * from './spark-metrics';
export * from './spark-metric-names';
export * from './scrape-configs';
export * from './prometheus-spec';
export { renderPrometheus, prometheusConfig, prometheusNames, PROMETHEUS_PORT, PUSHGATEWAY_PORT } from './prometheus-render';
export { validatePrometheus } from './prometheus-validate';
