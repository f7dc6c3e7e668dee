/**
 * A small command tree for the `gatehouse` CLI: every command and group answers --help, unknown options and
 * missing arguments are reported with the usage line. Options are parsed with node:util parseArgs (strict).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './read-password.js';

type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommand {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage after the command path, e.g. "USERNAME [--staff]". */
  readonly usage: string;
  /** Extra help text (options explained). */
  readonly help?: string;
  readonly options?: OptionsSpec;
  readonly minPositionals?: number;
  readonly maxPositionals?: number;
  run(parsed: ParsedCommand): Promise<number | void>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly (Command | CommandGroup)[];
}

const isGroup = (c: Command | CommandGroup): c is CommandGroup => 'commands' in c;

export function groupHelp(path: string, group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return [
    `Usage: ${path} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...group.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run "${path} <command> --help" for the options of a command.`,
  ].join('\n');
}

export function commandHelp(path: string, command: Command): string {
  return [
    `Usage: ${path} ${command.usage}`.trimEnd(),
    '',
    command.summary,
    ...(command.help ? ['', command.help] : []),
  ].join('\n');
}

/** Runs argv against the tree; returns the exit status. */
export async function dispatch(path: string, node: Command | CommandGroup, argv: string[]): Promise<number> {
  if (isGroup(node)) {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(groupHelp(path, node) + '\n');
      return name === undefined ? 2 : 0;
    }
    const child = node.commands.find((c) => c.name === name);
    if (child === undefined) throw new CliError(`unknown command "${name}"\n\n${groupHelp(path, node)}`, 2);
    return dispatch(`${path} ${name}`, child, rest);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(commandHelp(path, node) + '\n');
    return 0;
  }
  let parsed: ParsedCommand;
  try {
    const result = parseArgs({
      args: argv,
      options: node.options ?? {},
      allowPositionals: true,
      strict: true,
    });
    parsed = { values: result.values as ParsedCommand['values'], positionals: result.positionals };
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${commandHelp(path, node)}`, 2);
  }
  const count = parsed.positionals.length;
  if (count < (node.minPositionals ?? 0) || count > (node.maxPositionals ?? 0)) {
    throw new CliError(`wrong number of arguments\n\n${commandHelp(path, node)}`, 2);
  }
  return (await node.run(parsed)) ?? 0;
}
