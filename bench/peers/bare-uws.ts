/**
 * The ceiling: N processes of bare uWebSockets.js on one port (SO_REUSEPORT, as Gatehouse runs), each answering
 * every request with a fixed JSON body chosen by path. No header is read, nothing is verified or counted: no
 * Node server on this machine answers faster, so Gatehouse's figures are read as a fraction of these.
 * uWS is loaded exactly as Gatehouse loads it (src/http/uws.ts: the native binary, never the JS fallback).
 *
 *   node dist/bench/peers/bare-uws.js --workers N
 *
 * Prints {"msg":"worker ready","slot","workerPid"} per worker and {"msg":"listening","port"}; SIGTERM stops all.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { uws } from '../../src/http/uws.js';
import { findFreePort } from './free-port.js';
import { NOT_FOUND_BODY, SUCCESS_BODIES, logLine, workersArgument } from './peer-contract.js';

const PORT_VARIABLE = 'BARE_UWS_PORT';

function serve(port: number): void {
  const bodies = new Map(Object.entries(SUCCESS_BODIES));
  uws
    .App()
    .any('/*', (res, req) => {
      const body = bodies.get(req.getUrl());
      if (body === undefined)
        res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end(NOT_FOUND_BODY);
      else res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(body);
    })
    .listen('127.0.0.1', port, (socket) => {
      if (!socket) {
        process.stderr.write(`bare-uws: cannot listen on 127.0.0.1:${port}\n`);
        process.exit(1);
      }
      process.send!({ type: 'ready' });
    });
  // The primary is gone (killed): do not linger as an orphan holding the port.
  process.on('disconnect', () => process.exit(0));
}

async function supervise(workers: number): Promise<void> {
  const port = await findFreePort();
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let ready = 0;
  let alive = workers;
  for (let slot = 0; slot < workers; slot++) {
    const child = fork(process.argv[1]!, [], { env: { ...process.env, [PORT_VARIABLE]: String(port) } });
    children.push(child);
    child.on('message', () => {
      logLine({ msg: 'worker ready', slot, workerPid: child.pid });
      if (++ready === workers) logLine({ msg: 'listening', port });
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`bare-uws: worker ${slot} exited (${signal ?? code})\n`);
        process.exitCode = 1;
        stop();
      }
      if (--alive === 0) process.exit();
    });
  }
}

const workerPort = process.env[PORT_VARIABLE];
if (workerPort !== undefined) serve(Number(workerPort));
else await supervise(workersArgument(process.argv));
