/**
 * A p2p-seed seeder in a process of its own, for tests that kill it (SIGKILL: no goodbye reaches its peers, as when
 * a server crashes or is restarted) and start another. Run as a script it seeds the collection at argv[2] through
 * the tracker at argv[3] and prints 'ready' once it has joined the swarms.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanCollection } from '../../server-seed/src/collection.ts';
import { Seeder } from '../../server-seed/src/seeder/seeder.ts';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = fileURLToPath(import.meta.url);

export interface SeederProcess {
  /** Kills it at once (SIGKILL) and resolves once it is gone. */
  kill(): Promise<void>;
}

export function startSeederProcess(root: string, trackerUrl: string): Promise<SeederProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, root, trackerUrl], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('the seeder process did not start within 20 s')), 20_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      void kill();
      reject(error);
    };
    const early = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`the seeder process exited (${signal ?? code}) before it was ready`));
    child.once('error', fail);
    child.once('exit', early);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('ready\n')) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ kill });
    });
  });
}

if (process.argv[1] === SCRIPT) {
  const [root, trackerUrl] = process.argv.slice(2);
  const seeder = new Seeder({ root, trackerUrl });
  await seeder.load(await scanCollection(root));
  process.stdout.write('ready\n');
}
