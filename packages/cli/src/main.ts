/**
 * @module main
 * The `corral` command line: commander parses it, each command lives in `commands/`, and every
 * failure ends here as one readable error on stderr and an exit code (see `EXIT`).
 */
import { Command, CommanderError, Option } from 'commander';
import { buildCommand } from './commands/build.js';
import { checkCommand } from './commands/check.js';
import { devCommand } from './commands/dev.js';
import { eventCommand } from './commands/event.js';
import { initCommand } from './commands/init.js';
import { renderCommand } from './commands/render.js';
import { EXIT, formatError } from './errors.js';
import { err } from './io.js';
import { VERSION } from './version.js';

const profileOption = (): Option =>
  new Option('--profile <name>', 'limit profile: strict, default or generous (default: default)');

function program(result: { code: number }): Command {
  const run =
    <A extends unknown[]>(command: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      result.code = await command(...args);
    };
  const cli = new Command('corral')
    .description('Write, build, check and try Corral plugins.')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  cli
    .command('init')
    .description('create a plugin project: typings, a TSX plugin, a test, build/check/test scripts')
    .argument('<dir>', 'a new or empty directory')
    .action(run((dir: string) => initCommand(dir)));

  cli
    .command('build')
    .description('bundle a .ts/.tsx/.js plugin and its imports into the one script a host loads')
    .argument('<plugin>', 'the plugin entry')
    .option('-o, --out <file>', 'write the script here (default: stdout)')
    .option('--minify', 'minify the output')
    .action(run((file: string, o: { out?: string; minify?: boolean }) => buildCommand(file, o)));

  cli
    .command('check')
    .description('load the plugin, render every widget, report its sizes and limits')
    .argument('<plugin>', 'a .js plugin, or a .ts/.tsx one (bundled first)')
    .addOption(profileOption())
    .option('--global <json>', 'global state the renders see (default: null)')
    .option('--json', 'print the report as JSON')
    .action(run(checkCommand));

  cli
    .command('render')
    .description('render a widget and print its tree as an outline')
    .argument('<plugin>', 'a .js plugin, or a .ts/.tsx one (bundled first)')
    .option('-w, --widget <id>', 'the widget (default: the first declared)')
    .option('-s, --state <json>', "plugin state (default: the plugin's initialState)")
    .option('--global <json>', 'global state (default: null)')
    .option('--now <ms>', "the call's time in ms since the epoch (default: now)")
    .addOption(profileOption())
    .option('--json', 'print the tree as JSON')
    .action(run(renderCommand));

  cli
    .command('event')
    .description('fire a handler (or a reducer a binding names) and print the dispatches and new state')
    .argument('<plugin>', 'a .js plugin, or a .ts/.tsx one (bundled first)')
    .requiredOption('-h, --handler <name>', 'the handler or reducer, as a binding names it')
    .option('-w, --widget <id>', 'the widget (default: the first declared)')
    .option('-s, --state <json>', "plugin state (default: the plugin's initialState)")
    .option('-p, --payload <json>', "the binding's args (a reducer named directly gets them as payload)")
    .option('--value <value>', "the event's value (a change or submit); numbers and true/false are parsed")
    .option('--event <name>', 'click, change or submit (default: change with --value, else click)')
    .option('--global <json>', 'global state (default: null)')
    .option('--now <ms>', "the call's time in ms since the epoch (default: now)")
    .addOption(profileOption())
    .option('--json', 'print { state, dispatches } as JSON')
    .helpOption('--help', 'display help for command')
    .action(run(eventCommand));

  cli
    .command('dev')
    .description('build and render the plugin, again on every save, until Ctrl-C')
    .argument('<plugin>', 'the plugin entry')
    .option('-w, --widget <id>', 'the widget (default: the first declared)')
    .option('-s, --state <json>', "plugin state (default: the plugin's initialState)")
    .option('--global <json>', 'global state (default: null)')
    .addOption(profileOption())
    .action(run(devCommand));

  return cli;
}

/** Run the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const result = { code: EXIT.ok as number };
  const cli = program(result);
  if (argv.length === 0) {
    err(cli.helpInformation());
    return EXIT.usage;
  }
  try {
    await cli.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok; // --help, --version
      err(
        `error USAGE: ${error.message.replace(/^error: /, '')}\n  hint: run corral --help, or corral <command> --help`,
      );
      return EXIT.usage;
    }
    const { text, exitCode } = formatError(error);
    err(text);
    return exitCode;
  }
}
