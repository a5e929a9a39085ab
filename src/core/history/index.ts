// Metric history (ring buffers of rates and numeric metrics per component) and the sparkline renderer.
export { MetricHistory, HISTORY_DEFAULTS, type HistoryOptions, type HistoryJson, type ComponentHistory } from './metricHistory';
export { TickRing } from './ring';
export { sparkline, shortRate, bucketPeaks, historySparkline, SPARK_BARS, type SparklineOptions, type RateSource } from './sparkline';
