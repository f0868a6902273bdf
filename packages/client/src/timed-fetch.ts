// fetch with a deadline: a mobile network can swallow a request or its response without an
// error, and a request that never settles would hold its retry loop forever.

/**
 * Wraps `fetch` (resolved at each call, so a later polyfill is used) so each request is
 * aborted with a `TimeoutError` after `timeoutMs`, body included. The caller's own signal
 * still aborts it.
 */
export function timedFetch(getFetch: () => typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const controller = new AbortController();
    const outer = init?.signal ?? undefined;
    const onOuterAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    // Runs on past the response headers so a body that stalls is cut too; unref'd so a
    // finished Node process does not wait for it.
    const timer = setTimeout(
      () =>
        controller.abort(new DOMException(`no response within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    (timer as { unref?: () => void }).unref?.();
    return getFetch()(input, { ...init, signal: controller.signal }).catch((error: unknown) => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      throw error;
    });
  };
}
