import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'dingo:public-route';

/**
 * No access-layer credentials needed: the route is open (login, API docs) or checks credentials
 * of its own (the Xet CAS's signed tokens). The access guard honours it wherever it is declared.
 */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);
