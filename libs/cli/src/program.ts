import type { Readable, Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { systemClock, type Clock } from './clock';
import { cancel, deadList, deadReplay, results, status, type CancelTarget } from './commands';
import { DEFAULT_PARC_URL, resolveConfig, type CliEnv } from './config';
import { DEFAULT_TIMINGS, println, type CommandContext, type Timings } from './context';
import type { MaybeTty } from './display';
import { EXIT_CODE_HELP, EXIT_CODES, isCliError } from './errors';
import { ProxyClient, type FetchLike } from './http';
import { submit, type SubmitFormat } from './submit';
import type { StreamUpload } from './upload';

/** Everything `parc` touches outside its own code: the launcher passes the real ones, tests fakes. */
export interface CliIo {
  readonly env: CliEnv;
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Messages and progress; a terminal (`isTTY`) gets a bar. */
  readonly stderr: MaybeTty;
  readonly fetch: FetchLike;
  /** Sends streamed request bodies; default node:http(s). */
  readonly upload?: StreamUpload;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly timings?: Partial<Timings>;
  /** Shown by `parc --version`. */
  readonly version?: string;
}

/** The text after the options in `parc --help`: exit codes and environment. */
export function helpFooter(): string {
  const codes = EXIT_CODE_HELP.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`);
  return [
    '',
    'Exit codes:',
    ...codes,
    '',
    'Environment:',
    `  PARC_URL      the proxy's address (default ${DEFAULT_PARC_URL}, the embedded mode of npm start); --url overrides it`,
    '  PARC_API_KEY  sent as Authorization: Bearer <key> (none by default); --api-key overrides it',
    '',
    'Example:',
    '  parc submit examples/requests.ndjson --wait --out results.ndjson',
  ].join('\n');
}

function positiveInt(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return Number(value);
  };
}

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

type Action = (ctx: CommandContext) => Promise<number>;
/** Runs a command's action with the context built from the global flags. */
type Run = (command: Command, action: Action) => Promise<void>;

function addSubmit(program: Command, run: Run): void {
  program
    .command('submit')
    .description('send requests from FILE (- for standard input) and print the batch id; NDJSON (one request per line) unless the file ends .json or --format json')
    .argument('<file>', 'NDJSON or JSON batch file, or - for standard input')
    .addOption(new Option('--format <format>', 'the body format (default: json for *.json, else ndjson)').choices(['ndjson', 'json']))
    .option('--wait', 'show progress until the batch is complete; the exit code tells the outcome')
    .option('--out <file>', 'write the final results to FILE as they finish, one JSON per line (implies --wait)')
    .option('--callback <url>', 'NDJSON: the callback URL of every line without its own (header Parc-Callback-Url)')
    .option('--callback-header <header>', 'NDJSON: "Name: value" sent with that callback; repeatable', collect, [] as string[])
    .option('--batch-callback <url>', 'one signed batch.completed event to URL when the batch completes (header Parc-Batch-Callback-Url)')
    .option('--idempotency-key <key>', 'makes resubmitting the same file safe: the proxy answers the first submission again')
    .option('--json', "print the proxy's whole answer (batch id, request ids, rejected lines) instead of the batch id")
    .action((file: string, options: Record<string, unknown>, command: Command) =>
      run(command, (ctx) =>
        submit(ctx, {
          file,
          format: options['format'] as SubmitFormat | undefined,
          wait: options['wait'] === true,
          out: options['out'] as string | undefined,
          callback: options['callback'] as string | undefined,
          callbackHeaders: options['callbackHeader'] as string[],
          batchCallback: options['batchCallback'] as string | undefined,
          idempotencyKey: options['idempotencyKey'] as string | undefined,
          json: options['json'] === true,
        }),
      ),
    );
}

function addBatchCommands(program: Command, run: Run): void {
  program
    .command('status')
    .description("print a batch's progress: counts by state")
    .argument('<batch>', 'the batch id')
    .option('--json', "print the proxy's JSON as it is")
    .action((batch: string, options: { json?: boolean }, command: Command) => run(command, (ctx) => status(ctx, batch, options)));

  program
    .command('results')
    .description("copy a batch's final results to standard output, one JSON per line, in order of completion")
    .argument('<batch>', 'the batch id')
    .option('--wait', 'keep going until the batch is complete')
    .option('--after <id>', "start after this request's line (resume)")
    .action((batch: string, options: { wait?: boolean; after?: string }, command: Command) => run(command, (ctx) => results(ctx, batch, options)));

  program
    .command('cancel')
    .description('cancel a batch, or a single request: tries the batch first, then the request with that id')
    .argument('<id>', 'a batch id or a request id')
    .addOption(new Option('--batch', 'the id is a batch id (no guessing)').conflicts('request'))
    .addOption(new Option('--request', 'the id is a request id (no guessing)'))
    .option('--json', "print the proxy's JSON answer")
    .action((id: string, options: { batch?: boolean; request?: boolean; json?: boolean }, command: Command) => {
      const target: CancelTarget = options.batch === true ? 'batch' : options.request === true ? 'request' : 'auto';
      return run(command, (ctx) => cancel(ctx, id, target, options));
    });
}

function addDeadCommands(program: Command, run: Run): void {
  const dead = program.command('dead').description('callbacks that exhausted their retries (operator key needed)');
  dead
    .command('list')
    .description('list dead callbacks, oldest first: id, dead at, reason, URL (tab-separated)')
    .option('--limit <n>', 'page size, 1-1000 (default 100)', positiveInt(1000))
    .option('--after <id>', 'start after this dead callback (the `next` of the previous page)')
    .option('--all', 'follow every page')
    .option('--json', "print the proxy's JSON")
    .action((options: { limit?: number; after?: string; all?: boolean; json?: boolean }, command: Command) => run(command, (ctx) => deadList(ctx, options)));
  dead
    .command('replay')
    .description('deliver dead callbacks again')
    .argument('<ids...>', 'dead callback ids (request ids)')
    .option('--json', "print the proxy's JSON answer")
    .action((ids: string[], options: { json?: boolean }, command: Command) => run(command, (ctx) => deadReplay(ctx, ids, options)));
}

/** The program: global flags, help with exit codes, and the commands, each handing its work to `run`. */
function buildProgram(io: CliIo, run: Run): Command {
  const program = new Command('parc')
    .description('The Parc command-line client: submit batches of HTTP requests, follow them, fetch their final results.')
    .option('--url <url>', `the proxy (env PARC_URL, default ${DEFAULT_PARC_URL})`)
    .option('--api-key <key>', 'the API key (env PARC_API_KEY)')
    // Before the commands are added: they inherit these settings.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(parc --help shows usage)')
    .addHelpText('after', helpFooter());
  if (io.version !== undefined) program.version(io.version);
  addSubmit(program, run);
  addBatchCommands(program, run);
  addDeadCommands(program, run);
  return program;
}

/** The exit code for a failure, after saying what went wrong on stderr. */
function report(error: unknown, stderr: Writable): number {
  // Commander has already printed its usage error (or the help or version asked for).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (isCliError(error)) {
    println(stderr, `parc: ${error.message}`);
    for (const line of error.details) println(stderr, line);
    return error.exitCode;
  }
  println(stderr, `parc: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT_CODES.unexpected;
}

/**
 * Runs `parc` with `argv` (the arguments after the program name) and resolves with the exit code
 * (see {@link EXIT_CODES}); it never exits the process itself.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT_CODES.ok;
  const timings: Timings = { ...DEFAULT_TIMINGS, ...io.timings };
  const run: Run = async (command, action) => {
    const flags = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
    const config = resolveConfig(io.env, flags);
    const client = new ProxyClient({ config, fetch: io.fetch, ...(io.upload === undefined ? {} : { upload: io.upload }), timeoutMs: timings.requestTimeoutMs });
    exitCode = await action({
      client,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      clock: io.clock ?? systemClock,
      random: io.random ?? Math.random,
      timings,
    });
  };
  try {
    await buildProgram(io, run).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io.stderr);
  }
}
