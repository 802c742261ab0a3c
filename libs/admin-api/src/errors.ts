import { HubError } from '@dingo/hub-protocol';

export const conflict = (message: string) => new HubError(409, 'Conflict', message);
export const notFound = (what: string) => HubError.notFound(`${what} not found`);
