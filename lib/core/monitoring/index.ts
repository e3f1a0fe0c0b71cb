export * from './spark-metrics';
export * from './spark-metric-names';
