import { z } from 'zod';
import { HubError } from '@dingo/hub-protocol';

/**
 * Validates a request body or query with zod; a failure is a 400 whose message names each bad
 * field (`username: must be 2-64 lowercase letters…`), in the Hub's error format.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query',
): z.infer<S> {
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.length
      ? issue.path.join('.')
      : issue.code === 'unrecognized_keys'
        ? (issue as { keys?: string[] }).keys?.join(', ')
        : where;
    return `${String(field).slice(0, 80)}: ${issue.message.slice(0, 200)}`;
  });
  throw HubError.badRequest(`Invalid request ${where}: ${problems.join('; ')}`);
}

/** The JSON schema of a request body's zod schema (as sent: defaulted fields optional), as OpenAPI 3.0 accepts it. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return json;
}
