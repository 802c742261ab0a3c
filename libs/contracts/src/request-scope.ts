import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the request being served, wherever its work runs (logs quote the id). */
export interface RequestScope {
  requestId: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();
