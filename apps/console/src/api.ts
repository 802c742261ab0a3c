/** The admin API over fetch, with the signed-in credential (session JWT or `dgo_` token). */
const KEY = 'dingo.console.credential';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function credential(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setCredential(value: string | null): void {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

export interface Reply<T> {
  body: T;
  headers: Headers;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  const token = credential();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const message =
      res.headers.get('x-error-message') ??
      (parsed && typeof parsed === 'object' && 'error' in parsed ? String(parsed.error) : res.statusText);
    throw new ApiError(res.status, message || `HTTP ${res.status}`);
  }
  return { body: parsed as T, headers: res.headers };
}

export const api = {
  get: async <T>(path: string) => (await request<T>('GET', path)).body,
  post: async <T>(path: string, body?: unknown) => (await request<T>('POST', path, body ?? {})).body,
  put: async <T>(path: string, body?: unknown) => (await request<T>('PUT', path, body)).body,
  patch: async <T>(path: string, body?: unknown) => (await request<T>('PATCH', path, body)).body,
  del: async <T>(path: string) => (await request<T>('DELETE', path)).body,
};

/** `models`, `datasets`, `spaces`: the admin API's path segment of a repo type. */
export const typeSegment = (type: string) => `${type}s`;

/** The Hub API's own path of a repo: `/api/models/ns/name`. */
export const hubRepoPath = (type: string, id: string) =>
  `/api/${typeSegment(type)}/${id.split('/').map(encodeURIComponent).join('/')}`;

export const repoPath = (type: string, id: string) =>
  `${typeSegment(type)}/${id.split('/').map(encodeURIComponent).join('/')}`;

export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface Me {
  id: string;
  username: string;
  displayName: string | null;
  tokenId: string | null;
  grants: Grant[];
  permissions: {
    admin: boolean;
    maintain: boolean;
    readPolicies: boolean;
    readAudit: boolean;
    readStorage: boolean;
  };
}

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  teams?: { id: string; name: string; teamAdmin: boolean }[];
}

export interface Team {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
}

export interface Grant {
  id: string;
  teamId: string | null;
  userId: string | null;
  role: string;
  repoType: string;
  pattern: string;
  createdAt: string;
}

export interface Role {
  name: string;
  description: string | null;
  actions: string[];
  builtIn?: boolean;
}

export interface Token {
  id: string;
  name: string;
  userId: string;
  prefix: string;
  status: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}
