// The client's default Apollo cache: one that stores nothing. Every operation the transport
// sends is `fetchPolicy: 'no-cache'` (a stream's record and chunks must be read from the
// store, never from a cache), so Apollo only needs a cache object to exist. InMemoryCache
// would bring its normalizer, optimism and @wry into every page for nothing (about 14 KB of
// a browser bundle, gzipped). Apps that run their own cached queries on `client.apollo`
// pass `cache: new InMemoryCache()` (StreamClientOptions.cache).
import { ApolloCache, type Cache, type Reference, type Transaction } from '@apollo/client/core';

/**
 * An `ApolloCache` that keeps nothing: reads miss, writes are dropped, watches never fire.
 * Correct for operations sent with `fetchPolicy: 'no-cache'` (Apollo then neither reads
 * nor writes the cache); any other policy works but always goes to the network, and Apollo
 * warns in development that the result it wrote reads back incomplete.
 */
export class NoStoreCache extends ApolloCache {
  override read<TData>(): TData | null {
    return null;
  }

  override write(): Reference | undefined {
    return undefined;
  }

  override diff<TData>(): Cache.DiffResult<TData> {
    return { result: null, complete: false };
  }

  override watch(): () => void {
    return () => {};
  }

  override async reset(): Promise<void> {}

  override evict(): boolean {
    return false;
  }

  override restore(): this {
    return this;
  }

  override extract(): Record<string, never> {
    return {};
  }

  override removeOptimistic(): void {}

  override fragmentMatches(): boolean {
    return false;
  }

  override performTransaction(transaction: Transaction): void {
    transaction(this);
  }
}
