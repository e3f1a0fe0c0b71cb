export * from './spark-metrics';
export * from './spark-metric-names';
export * from './scrape-configs';
