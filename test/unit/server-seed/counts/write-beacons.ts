// Run as its own process by store.test.ts: writes beacons to a counts database another process writes to too.
// Arguments: FILE PREFIX COUNT. Each beacon opens a session of its own; every one also advances a shared session.
import { SqliteCountsStore } from '../../../../server-seed/src/counts/store.ts';

const [file, prefix, count] = process.argv.slice(2);
const store = new SqliteCountsStore(file);
for (let i = 0; i < Number(count); i += 1) {
  store.recordBeacon({ session: `${prefix}-session-${String(i).padStart(6, '0')}`, title: 'film', httpBytes: 10, p2pBytes: 30, uploadBytes: 1, watchSeconds: 1, played: true });
  // Both processes report the same session with the same growing totals: it must count once, its bytes once.
  store.recordBeacon({ session: 'shared-session-0001', title: 'film', httpBytes: i + 1, p2pBytes: 0, uploadBytes: 0, watchSeconds: 0, played: true });
  store.addServerBytes([{ title: 'film', originBytes: 7, seederUploadBytes: 3 }]);
}
store.close();
