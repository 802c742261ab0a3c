import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { requestScope } from '@dingo/contracts';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** The logger a service's config asks for: its levels, as text or as JSON lines. */
export function loggerFor(config: DingoConfig): LogLevel[] | JsonLogger {
  const levels = LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1);
  return config.logFormat === 'json' ? new JsonLogger(levels) : levels;
}

/**
 * Nest's JSON console logger (one object per line, for log shippers), with the id of the request
 * being served (`X-Request-Id`, which clients quote in their errors) on every line logged for it.
 */
export class JsonLogger extends ConsoleLogger {
  constructor(levels: LogLevel[]) {
    super({ json: true, logLevels: levels, colors: false, compact: true });
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> & { requestId?: string } {
    const requestId = requestScope.getStore()?.requestId;
    return { ...super.getJsonLogObject(message, options), ...(requestId && { requestId }) };
  }
}
