import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SubscriptionFaults } from '../faults.js';
import type { EmulatorStats } from '../stats.js';
import { readBody, replyJson } from './body.js';

/** Prefix of the emulator's own routes (never AppSync's). */
export const ADMIN_PREFIX = '/__local/';

/** What the admin routes act on. */
export interface AdminControls {
  stats(): EmulatorStats;
  closeAllConnections(): void;
  /** @throws Error for faults it refuses. */
  setFaults(faults: SubscriptionFaults): void;
}

/**
 * Test and benchmark controls over HTTP, for processes that do not hold the emulator
 * object: `GET stats`, `POST close-connections`, `POST faults` (a SubscriptionFaults JSON).
 */
export async function handleAdminRequest(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  controls: AdminControls,
): Promise<void> {
  if (path === `${ADMIN_PREFIX}stats`) return replyJson(res, 200, controls.stats());
  if (path === `${ADMIN_PREFIX}close-connections` && req.method === 'POST') {
    controls.closeAllConnections();
    return replyJson(res, 200, { ok: true });
  }
  if (path === `${ADMIN_PREFIX}faults` && req.method === 'POST') {
    const body = (await readBody(req, 10_000))?.toString('utf8') ?? '{}';
    try {
      controls.setFaults(JSON.parse(body) as SubscriptionFaults);
      return replyJson(res, 200, { ok: true });
    } catch (error) {
      return replyJson(res, 400, { error: (error as Error).message });
    }
  }
  res.writeHead(404).end();
}
