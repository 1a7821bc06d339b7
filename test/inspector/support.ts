/**
 * Helpers of the inspector tests: raw HTTP requests (with any Host or Origin header, which fetch
 * will not send), and the system Chromium the browser tests drive.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Browser } from 'playwright-core';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request to the inspector with exactly the headers given. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Debian's Chromium, which CI installs (.ci/run). */
export const CHROMIUM = process.env.AGENT_SESSIONS_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.info(`inspector browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

/** Launches the system Chromium headless, with nothing that reaches the network on its own. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
