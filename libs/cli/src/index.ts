/**
 * `parc`, the command-line client of the Parc API: submit NDJSON or JSON batches (streamed, never
 * read whole), follow a batch with a progress bar or plain lines, copy its final results,
 * cancel, and replay dead callbacks. Everything outside (environment, streams, fetch, clock) is
 * passed in by the launcher, bin/parc.mjs.
 */
export { runCli, helpFooter, type CliIo } from './program';
export { CliError, isCliError, EXIT_CODES, EXIT_CODE_HELP, CLI_ERROR_CATALOG, type CliErrorCode } from './errors';
export { DEFAULT_PARC_URL, resolveConfig, type CliConfig, type CliEnv } from './config';
export { DEFAULT_TIMINGS, type Timings } from './context';
export type { Clock } from './clock';
export type { FetchLike } from './http';
export {
  RateMeter,
  etaSeconds,
  formatDuration,
  formatProgressLine,
  formatRate,
  formatSummary,
  isComplete,
  type ProgressSnapshot,
} from './progress';
