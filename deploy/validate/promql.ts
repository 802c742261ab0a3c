/** PromQL keywords, aggregations and functions: identifiers in an expression that are not metrics. */
const PROMQL_WORDS = new Set(
  `sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio
   by without on ignoring group_left group_right bool and or unless offset atan2 inf nan
   abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month day_of_week
   day_of_year days_in_month delta deriv exp floor histogram_avg histogram_count histogram_fraction
   histogram_quantile histogram_stddev histogram_stdvar histogram_sum holt_winters
   double_exponential_smoothing hour idelta increase irate label_join label_replace ln log2 log10
   minute month predict_linear rate resets round scalar sgn sort sort_desc sort_by_label
   sort_by_label_desc sqrt time timestamp vector year avg_over_time min_over_time max_over_time
   sum_over_time count_over_time quantile_over_time stddev_over_time stdvar_over_time
   last_over_time present_over_time mad_over_time acos acosh asin asinh atan atanh cos cosh sin
   sinh tan tanh deg rad pi`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Metric names an expression selects. Label matchers, label lists (`by (...)`), ranges, strings,
 * numbers, durations and Grafana variables are dropped first, so what is left are metric names,
 * keywords and functions.
 */
export function metricNamesIn(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ')
    .replace(/\b\d+(?:ms|s|m|h|d|w|y)\b/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  const names = e.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}
