/**
 * The pattern aws-appsync-subscription-link uses to recognise an AppSync-owned
 * GraphQL endpoint; everything else (custom domains, localhost) is a "custom domain".
 */
const STANDARD_DOMAIN =
  /^https:\/\/\w{26}\.appsync-api\.\w{2}(?:(?:-\w{2,})+)-\d\.amazonaws\.com\/graphql$/i;

/**
 * The real-time (WebSocket) URL AppSync serves subscriptions on for a GraphQL URL,
 * derived exactly as aws-appsync-subscription-link does, so what this returns is
 * where the client connects:
 * - `https://<id>.appsync-api.<region>.amazonaws.com/graphql` ->
 *   `wss://<id>.appsync-realtime-api.<region>.amazonaws.com/graphql`
 * - any other URL (custom domain, the local emulator) -> `<url>/realtime` with
 *   `https:` -> `wss:` and `http:` -> `ws:`.
 *
 * @example realtimeUrlFor('http://127.0.0.1:4000/graphql') // 'ws://127.0.0.1:4000/graphql/realtime'
 */
export function realtimeUrlFor(graphqlUrl: string): string {
  const toWs = (u: string) => u.replace(/^https:\/\//, 'wss://').replace(/^http:\/\//, 'ws://');
  if (STANDARD_DOMAIN.test(graphqlUrl)) {
    return toWs(graphqlUrl.replace('appsync-api', 'appsync-realtime-api'));
  }
  return toWs(`${graphqlUrl}/realtime`);
}
