/** `paths` of a paths-info request: form-encoded (huggingface_hub) or JSON (@huggingface/hub). */
export function requestedPaths(body: Buffer | undefined, contentType: string | undefined): string[] {
  if (!body?.length) return [];
  const text = body.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(text) as { paths?: unknown };
      const paths = Array.isArray(parsed.paths) ? parsed.paths : [parsed.paths];
      return paths.filter((p): p is string => typeof p === 'string');
    } catch {
      return [];
    }
  }
  return new URLSearchParams(text).getAll('paths');
}
