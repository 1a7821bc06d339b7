/**
 * The page's files, built into the command (`?raw` imports become strings), so the page works
 * offline, from any install, with no front-end build step and nothing fetched from a CDN.
 */
import appCss from './page/app.css?raw';
import appJs from './page/app.js?raw';
import browseJs from './page/browse.js?raw';
import domJs from './page/dom.js?raw';
import eventsJs from './page/events.js?raw';
import indexHtml from './page/index.html?raw';
import storedJs from './page/stored.js?raw';
import timelineJs from './page/timeline.js?raw';

/** A static file: its content type and text. */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

const js = (body: string): Asset => ({ type: 'text/javascript; charset=utf-8', body });

/** The page's files by URL path. */
export const ASSETS: Readonly<Record<string, Asset>> = Object.freeze({
  '/index.html': { type: 'text/html; charset=utf-8', body: indexHtml },
  '/app.css': { type: 'text/css; charset=utf-8', body: appCss },
  '/app.js': js(appJs),
  '/browse.js': js(browseJs),
  '/dom.js': js(domJs),
  '/events.js': js(eventsJs),
  '/stored.js': js(storedJs),
  '/timeline.js': js(timelineJs),
});
