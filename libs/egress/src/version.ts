/**
 * Parc's version, for the default User-Agent. Kept as a constant rather than read from the
 * root package.json at run time (libs get bundled); `version.spec.ts` fails when they differ.
 */
export const PARC_VERSION = '0.1.0';

/** `parc/<version>`: sent unless a request sets its own User-Agent. */
export const DEFAULT_USER_AGENT = `parc/${PARC_VERSION}`;
