/**
 * A listSessions(onlyMeta) loop to profile with `node --cpu-prof`, interleaved with its raw-SQL
 * floor so the printed ratio comes from one run: 1,000 sessions of one user, on server
 * PostgreSQL (DATABASE_URL) or PGlite.
 */

import { textValue } from '../../src/session/state.js';
import { openPglite, openServer } from '../backends.js';
import { analyze, freshKey, seedUser } from '../data.js';
import { floorList } from '../floor.js';
import { median, timed } from '../measure.js';

const which = process.argv[2] ?? 'server';
const rounds = Number(process.argv[3] ?? 300);
const backend = which === 'server' ? await openServer(process.env.DATABASE_URL!) : await openPglite();
try {
  const service = await backend.service('sync');
  const user = { appName: freshKey('profile').appName, userId: freshKey('list').userId };
  await seedUser(backend.floor, backend.tables, user, 1000, 12);
  await analyze(backend.floor, backend.tables);
  // As in W4: a little app and user state, which listSessions merges into every session.
  await service.updateAppState(user.appName, { 'app:plan': textValue('pro'), 'app:region': textValue('eu') });
  await service.updateUserState(user, { 'user:name': textValue('Ada'), 'user:tier': textValue('gold') });
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(await timed(() => service.listSessions(user, { onlyMeta: true })));
    floor.push(await timed(() => floorList(backend.floor, backend.tables, user)));
  }
  console.log(
    `${which} p50: ours ${median(ours).toFixed(2)} ms, floor ${median(floor).toFixed(2)} ms, ratio ${(median(ours) / median(floor)).toFixed(2)}`,
  );
} finally {
  await backend.close();
}
