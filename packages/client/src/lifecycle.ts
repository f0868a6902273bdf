// What the page around the client is doing: online or not, shown or hidden. Retry loops
// wait for `online` instead of spending their budget on a network that is known to be
// down, and running streams catch up and resubscribe when the page comes back (a phone
// put away and taken out again, a tab switched back to, a network restored).

/** Why the page came back. */
export type WakeReason = 'online' | 'visible';

/** What {@link ClientLifecycle.onWake} listeners learn. */
export interface WakeEvent {
  reason: WakeReason;
  /** How long the page was offline or hidden, in ms. */
  awayMs: number;
}

/** The page's connectivity and visibility, as the client's retry loops see them. */
export interface ClientLifecycle {
  /** False only when the browser says it is offline. */
  readonly online: boolean;
  /** False only when the browser says the page is hidden. */
  readonly visible: boolean;
  /** Resolves at once when online, else at the `online` event; rejects when `signal` aborts. */
  whenOnline(signal?: AbortSignal): Promise<void>;
  /** Resolves at the next wake (online again, visible again); rejects when `signal` aborts. */
  nextWake(signal?: AbortSignal): Promise<WakeEvent>;
  /** Calls `listener` whenever the page comes back. Returns the function that removes it. */
  onWake(listener: (event: WakeEvent) => void): () => void;
  /** Removes the page listeners. */
  close(): void;
}

/** The part of `window` the lifecycle reads (injectable for tests). */
export interface LifecycleWindow {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  navigator?: { onLine?: boolean };
}

/** The part of `document` the lifecycle reads (injectable for tests). */
export interface LifecycleDocument {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  visibilityState?: string;
}

/** Where the lifecycle listens; defaults to the global `window` and `document` when present. */
export interface LifecycleEnvironment {
  window?: LifecycleWindow;
  document?: LifecycleDocument;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** The environment of the page this code runs in, or nothing outside a browser. */
function globalEnvironment(): LifecycleEnvironment {
  const g = globalThis as { window?: unknown; document?: unknown };
  const hasEvents = (v: unknown): boolean =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { addEventListener?: unknown }).addEventListener === 'function';
  return {
    ...(hasEvents(g.window) ? { window: g.window as LifecycleWindow } : {}),
    ...(hasEvents(g.document) ? { document: g.document as LifecycleDocument } : {}),
  };
}

/**
 * Follows `online` / `offline` on `window` and `visibilitychange` on `document`. Outside a
 * browser (Node, workers without a document) it is always online and visible and never
 * wakes, so the retry loops run on their budgets alone.
 */
export function createLifecycle(
  env: LifecycleEnvironment = globalEnvironment(),
  now: () => number = Date.now,
): ClientLifecycle {
  const { window: win, document: doc } = env;
  let online = win?.navigator?.onLine !== false;
  let visible = doc?.visibilityState !== 'hidden';
  let offlineSince = online ? null : now();
  let hiddenSince = visible ? null : now();
  const onlineWaiters = new Set<() => void>();
  const wakeListeners = new Set<(event: WakeEvent) => void>();

  const wake = (reason: WakeReason, since: number | null) => {
    const event = { reason, awayMs: since === null ? 0 : now() - since };
    for (const listener of [...wakeListeners]) {
      try {
        listener(event);
      } catch {
        // One failing listener must not keep the others from waking.
      }
    }
  };
  const onOnline = () => {
    if (online) return;
    online = true;
    const since = offlineSince;
    offlineSince = null;
    for (const resolve of [...onlineWaiters]) resolve();
    onlineWaiters.clear();
    wake('online', since);
  };
  const onOffline = () => {
    if (!online) return;
    online = false;
    offlineSince = now();
  };
  const onVisibility = () => {
    const nowVisible = doc?.visibilityState !== 'hidden';
    if (nowVisible === visible) return;
    visible = nowVisible;
    if (!visible) {
      hiddenSince = now();
      return;
    }
    const since = hiddenSince;
    hiddenSince = null;
    wake('visible', since);
  };
  win?.addEventListener('online', onOnline);
  win?.addEventListener('offline', onOffline);
  doc?.addEventListener('visibilitychange', onVisibility);

  const waitFor = <T>(
    register: (settle: (value: T) => void) => () => void,
    signal?: AbortSignal,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        unregister();
        reject(abortReason(signal!));
      };
      const unregister = register((value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  return {
    get online() {
      return online;
    },
    get visible() {
      return visible;
    },
    whenOnline(signal) {
      if (online) return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
      return waitFor<void>((settle) => {
        const waiter = () => settle();
        onlineWaiters.add(waiter);
        return () => onlineWaiters.delete(waiter);
      }, signal);
    },
    nextWake(signal) {
      return waitFor<WakeEvent>((settle) => {
        const listener = (event: WakeEvent) => {
          wakeListeners.delete(listener);
          settle(event);
        };
        wakeListeners.add(listener);
        return () => wakeListeners.delete(listener);
      }, signal);
    },
    onWake(listener) {
      wakeListeners.add(listener);
      return () => wakeListeners.delete(listener);
    },
    close() {
      win?.removeEventListener('online', onOnline);
      win?.removeEventListener('offline', onOffline);
      doc?.removeEventListener('visibilitychange', onVisibility);
      wakeListeners.clear();
    },
  };
}
