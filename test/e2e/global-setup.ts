import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../server-seed/src/server.ts';
import { makeTestCollection } from './media.ts';

/** Makes the test collection and serves it with p2p-seed's server on 127.0.0.1, a free port. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-video-e2e-'));
  await makeTestCollection(root);
  // Open tracker: tests give their viewers swarms of their own (swarm-id), which the collection does not list.
  const server = await startServer({ root, port: 0, host: '127.0.0.1', openTracker: true });
  process.env.P2P_TEST_ORIGIN = server.url.replace(/\/$/, '');
  process.env.P2P_TEST_ROOT = root;
  return async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  };
}
