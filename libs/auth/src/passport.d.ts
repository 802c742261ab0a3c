// passport and passport-jwt ship no types and @types/* are not installed; only what this lib uses.
declare module 'passport' {
  import type { Request, Response } from 'express';
  type Callback = (err: unknown, user: unknown, info: unknown) => void;
  interface Authenticator {
    authenticate(
      strategy: object,
      options: { session: boolean },
      callback: Callback,
    ): (req: Request, res: Response, next: (err?: unknown) => void) => void;
  }
  const passport: Authenticator;
  export default passport;
}

declare module 'passport-jwt' {
  import type { Request } from 'express';
  export interface StrategyOptions {
    jwtFromRequest: (req: Request) => string | null;
    secretOrKey: string;
    algorithms: string[];
    issuer?: string;
    audience?: string;
    ignoreExpiration?: boolean;
    jsonWebTokenOptions?: { maxAge?: string | number; clockTolerance?: number };
  }
  export type VerifiedCallback = (err: unknown, user?: unknown, info?: unknown) => void;
  export class Strategy {
    constructor(
      options: StrategyOptions,
      verify: (payload: Record<string, unknown>, done: VerifiedCallback) => void,
    );
  }
  export const ExtractJwt: { fromAuthHeaderAsBearerToken(): (req: Request) => string | null };
}
