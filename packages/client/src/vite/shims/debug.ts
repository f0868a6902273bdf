// A silent `debug` for the AppSync links (the bedrockStreamClient() Vite plugin gives it to
// them for their `import debug from "debug"`). The subscription link logs every message of
// its connection through `debug("aws-appsync")` and its own `.extend()`, which reads
// `this.namespace`; in a page nothing enables those logs, so the real package (and `ms`)
// would be weight that never prints.

/** The part of a `debug` logger the links use, plus what other callers might read. */
export interface Debugger {
  (...args: unknown[]): void;
  readonly namespace: string;
  enabled: boolean;
  log: (...args: unknown[]) => void;
  extend(namespace: string, delimiter?: string): Debugger;
  destroy(): boolean;
}

/** A logger that never prints, whatever `enable()` is given. */
function createDebug(namespace: string): Debugger {
  const logger = Object.assign(() => {}, {
    namespace,
    enabled: false,
    log: () => {},
    extend: (sub: string, delimiter = ':') => createDebug(`${namespace}${delimiter}${sub}`),
    destroy: () => false,
  });
  return logger;
}

/** `debug`'s module-level API, all no-ops. */
const debug = Object.assign(createDebug, {
  enable: (_namespaces: string) => {},
  disable: () => '',
  enabled: (_namespace: string) => false,
  names: [] as RegExp[],
  skips: [] as RegExp[],
  formatters: {} as Record<string, (value: unknown) => string>,
  log: () => {},
});

export default debug;
