/** Forks the fixture children of the multi-process tests and talks to them one command at a time. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildReply } from '../../fixtures/throttle/shm-child.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/throttle/shm-child.js', import.meta.url));

export class Child {
  private readonly waiting: ((reply: ChildReply) => void)[] = [];
  readonly exited: Promise<number | null>;

  private constructor(private readonly process: ChildProcess) {
    process.on('message', (reply: ChildReply) => this.waiting.shift()?.(reply));
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static start(): Child {
    return new Child(fork(FIXTURE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number {
    return this.process.pid!;
  }

  async send(command: ChildCommand): Promise<ChildReply> {
    const reply = new Promise<ChildReply>((resolve) => this.waiting.push(resolve));
    this.process.send(command);
    const answer = await reply;
    if (answer.op === 'error') throw new Error(`child ${this.pid}: ${answer.message}`);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.send({ op: 'exit' } satisfies ChildCommand);
    await this.exited;
  }

  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }
}
