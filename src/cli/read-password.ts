/**
 * Passwords for the CLI come from standard input when it is not a terminal (scripts: `printf '%s' "$PW" |
 * gatehouse user create alice`), else from a prompt that does not echo. Never from argv, where `ps` and shell
 * history would show them.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export async function readPassword(prompt = 'Password: ', confirm = true): Promise<string> {
  if (!process.stdin.isTTY) return readAllStdin();
  const first = await promptHidden(prompt);
  if (confirm) {
    const second = await promptHidden('Password (again): ');
    if (first !== second) throw new CliError('the two passwords differ');
  }
  return first;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the line terminator of `echo`, not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    process.stderr.write(prompt);
    muted = true;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** An error the CLI prints as one line (no stack) before exiting with status 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
