/**
 * Where worker processes start from. The supervisor forks the worker entry through the path the command was
 * started by — `/opt/gatehouse/current/bin/gatehouse` → `/opt/gatehouse/current/dist/src/cluster/worker-main.js`
 * — not through its own resolved location. An upgrade installs a new release and switches the `current`
 * symlink (ops/install.sh); the next reload then forks workers of the new release, while the running ones
 * keep the files of the old one (Node resolves the symlink when a process starts). That is how a new release
 * goes live without dropping a request (docs/deployment.md, "Upgrades").
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BESIDE_THIS_MODULE = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** `entry`: the command's path as it was invoked (process.argv[1]), e.g. …/current/bin/gatehouse. */
export function workerScriptPath(entry: string | undefined): string {
  if (entry !== undefined && entry !== '') {
    const throughEntry = join(dirname(entry), '..', 'dist', 'src', 'cluster', 'worker-main.js');
    if (existsSync(throughEntry)) return throughEntry;
  }
  return BESIDE_THIS_MODULE;
}

/** The root of the release this module runs from (resolved: the real directory, not the symlink). */
export function codeRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}
