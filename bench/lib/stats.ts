/** A measured quantity over repetitions: every sample is kept so the JSON shows the spread. */
export interface Measure {
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function measure(unit: string, samples: number[]): Measure {
  return { unit, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

/**
 * The ratio of two paired series (rep i of `a` ran next to rep i of `b`): the median of the
 * per-rep ratios, so a slow moment of the machine that hits both sides of a pair cancels out.
 */
export function pairedRatio(a: number[], b: number[]): Measure {
  return measure(
    'x',
    a.map((v, i) => v / b[i]),
  );
}

export const MB_PER_MIB = 1024 * 1024;

export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / MB_PER_MIB / seconds;
}

/** 3 significant digits, no exponent: 0.0123, 1.23, 123, 12345. */
export function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}
