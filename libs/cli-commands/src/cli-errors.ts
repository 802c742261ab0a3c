/** Exit codes a script can rely on. */
export const EXIT = {
  ok: 0,
  /** Anything else that went wrong. */
  failure: 1,
  /** Bad arguments or options. */
  usage: 2,
  /** The repo, revision or file does not exist (or is not visible to this token). */
  notFound: 3,
  /** Authentication needed or refused, gated repo. */
  denied: 4,
  /** The mirror is unreachable, or it cannot reach upstream for what is not cached. */
  unavailable: 5,
  /** Downloaded bytes do not match their sha256 / git blob id. */
  integrity: 6,
} as const;

/** An error the CLI reports as one line and an exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code for a mirror's error answer (status and `X-Error-Code`). */
export function exitCodeFor(status: number, errorCode: string | undefined): number {
  // The Hub says 401 RepoNotFound for a repo that may be private: to the caller it does not exist.
  if (errorCode === 'RepoNotFound' || errorCode === 'RevisionNotFound' || errorCode === 'EntryNotFound')
    return EXIT.notFound;
  if (errorCode === 'GatedRepo' || status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  if (status === 400 || status === 416) return EXIT.usage;
  if (status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  return EXIT.failure;
}
