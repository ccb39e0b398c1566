export { ERROR_CATALOG, type ErrorCode, type ErrorDefinition } from './catalog';
export { ParcError, isParcError, type FieldIssue, type ParcErrorOptions } from './parc-error';
