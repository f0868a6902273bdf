import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../options.js';
import { ADMIN_PREFIX, handleAdminRequest, type AdminControls } from './admin.js';
import { handleGraphqlRequest, type GraphqlEndpointDeps } from './graphql-endpoint.js';

/** What the HTTP side serves. */
export interface HttpDeps {
  graphql: GraphqlEndpointDeps;
  admin: AdminControls;
}

// AppSync answers browsers from any origin (CORS), including preflights.
function cors(req: IncomingMessage, res: ServerResponse): 'answered' | 'continue' {
  res.setHeader('access-control-allow-origin', '*');
  if (req.method !== 'OPTIONS') return 'continue';
  res
    .writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? '*'),
      'access-control-max-age': '86400',
    })
    .end();
  return 'answered';
}

/** What the emulator says about itself on `GET /` and `GET /graphql`. */
function describe(res: ServerResponse, status: number, endpoint: Endpoint): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      service: 'appsync-local',
      graphqlUrl: endpoint.graphqlUrl,
      realtimeUrl: `${endpoint.graphqlUrl}/realtime`,
    }),
  );
}

/**
 * The request listener of a server reached at `endpoint`: CORS, `POST /graphql`, the
 * admin routes, a self-description elsewhere; a handler's failure is a 500 in AppSync's
 * error shape.
 */
export function createRequestListener(
  endpoint: Endpoint,
  deps: HttpDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (cors(req, res) === 'answered') return;
    const path = (req.url ?? '/').split('?')[0]!;
    const handle =
      req.method === 'POST' && path === '/graphql'
        ? handleGraphqlRequest(req, res, endpoint, deps.graphql)
        : path.startsWith(ADMIN_PREFIX)
          ? handleAdminRequest(req, res, path, deps.admin)
          : Promise.resolve(
              describe(res, path === '/' || path === '/graphql' ? 200 : 404, endpoint),
            );
    handle.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [{ errorType: 'InternalFailure', message: (error as Error).message }],
        }),
      );
    });
  };
}
