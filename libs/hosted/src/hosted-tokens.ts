/** Injection tokens of the hosted module. */
export const HOSTED_MIRROR = Symbol('HOSTED_MIRROR');
export const ANONYMOUS_READ = Symbol('ANONYMOUS_READ');
