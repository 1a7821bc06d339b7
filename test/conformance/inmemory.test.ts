import { InMemorySessionService } from '../../src/inmemory/service.js';
import { runConformanceSuite } from './suite.js';

runConformanceSuite({
  name: 'memory',
  create: async (options) => new InMemorySessionService(options),
  sweepNow: (service) => (service as InMemorySessionService).sweepNow(),
});
