import type { SimFault } from './types';

interface ArmedFault {
  match: RegExp;
  fault: SimFault;
  remaining: number;
}

export type RequestFault = Extract<
  SimFault,
  { kind: 'status' | 'slow-start' | 'redirect' | 'gzip' | 'corrupt' | 'headers' | 'body' }
>;
export type BodyFault = Extract<SimFault, { kind: 'reset' | 'stall' }>;

/**
 * Holds injected faults, each firing `times` times. Status and slow-start faults are taken when a
 * request arrives; reset and stall faults only by a response whose body is long enough to reach
 * them (afterBytes 0 fits any response), so e.g. a short 302 does not use up a fault aimed at
 * the CDN bytes of the same file.
 */
export class FaultInjector {
  private faults: ArmedFault[] = [];

  add(match: RegExp, fault: SimFault, times = 1): void {
    this.faults.push({ match, fault, remaining: times });
  }

  clear(): void {
    this.faults = [];
  }

  takeRequestFault(url: string): RequestFault | undefined {
    return this.take(url, (f) => f.kind !== 'reset' && f.kind !== 'stall') as RequestFault | undefined;
  }

  takeBodyFault(url: string, bodyLength: number): BodyFault | undefined {
    return this.take(
      url,
      (f) => (f.kind === 'reset' || f.kind === 'stall') && (f.afterBytes === 0 || bodyLength > f.afterBytes),
    ) as BodyFault | undefined;
  }

  private take(url: string, fits: (f: SimFault) => boolean): SimFault | undefined {
    const armed = this.faults.find((a) => fits(a.fault) && matches(a.match, url));
    if (!armed) return undefined;
    if (--armed.remaining <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }
}

function matches(re: RegExp, url: string): boolean {
  re.lastIndex = 0; // a /g or /y RegExp keeps state between tests
  return re.test(url);
}
