export { InMemorySessionService } from './service.js';
