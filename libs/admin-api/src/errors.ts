import { HubError } from '@dingo/hub-protocol';

export const conflict = (message: string) => HubError.conflict(message);
export const notFound = (what: string) => HubError.notFound(`${what} not found`);
