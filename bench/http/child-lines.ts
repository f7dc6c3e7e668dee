/** Runs a child process to completion, handing each stdout line to a callback; rejects on a non-zero exit. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export function runWithLines(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  onLine: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (stderr.length < 50) stderr.push(line);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${signal ?? code}: ${stderr.join('\n')}`));
    });
  });
}
