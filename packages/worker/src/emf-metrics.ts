/**
 * Counts written as CloudWatch Embedded Metric Format (EMF) log lines: a JSON document on
 * stdout that CloudWatch Logs turns into metrics, with no API call. Written here instead of
 * taken from a metrics library to keep the worker's cold start small (see the README's
 * dependencies). Format: "Specification: Embedded metric format" in the CloudWatch docs.
 */

/** EMF's limit of metric definitions per directive, and of values per metric. */
export const EMF_MAX_METRICS = 100;
export const EMF_MAX_VALUES = 100;

/** Writes one finished EMF document (without its newline). */
export type MetricWriter = (line: string) => void;

/** Options of {@link EmfMetrics}. */
export interface EmfMetricsOptions {
  /** The CloudWatch namespace of every metric. */
  namespace: string;
  /** The value of the `service` dimension. */
  service: string;
  /** Default: `process.stdout`. */
  write?: MetricWriter;
}

/** One EMF document as written (the metrics' values are the root's other members). */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: 'Count' }>;
    }>;
  };
  service: string;
  [metric: string]: unknown;
}

// Members of the root that a metric's value would overwrite.
const RESERVED_NAMES = new Set(['_aws', 'service']);

const writeToStdout: MetricWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Collects counts and writes them as EMF on {@link flush}: one document names each metric
 * (unit `Count`, dimension `service`) and holds its value — a number, or every value when it
 * was added more than once. Past EMF's limits (100 metrics per document, 100 values per
 * metric) the counts go out in several documents.
 *
 * @example
 * const metrics = new EmfMetrics({ namespace: 'BedrockStream', service: 'bedrock-stream-worker' });
 * metrics.addCount('Attempts');
 * metrics.flush(); // {"_aws":{…},"service":"bedrock-stream-worker","Attempts":1}
 */
export class EmfMetrics<Name extends string = string> {
  readonly #namespace: string;
  readonly #service: string;
  readonly #write: MetricWriter;
  #values = new Map<Name, number[]>();

  constructor(options: EmfMetricsOptions) {
    this.#namespace = options.namespace;
    this.#service = options.service;
    this.#write = options.write ?? writeToStdout;
  }

  /**
   * Stores `value` for `name` until the next {@link flush}.
   * @throws Error for `_aws` and `service`, which the document itself uses.
   */
  addCount(name: Name, value = 1): void {
    if (RESERVED_NAMES.has(name)) throw new Error(`'${name}' cannot be a metric name in EMF`);
    const values = this.#values.get(name);
    if (values) values.push(value);
    else this.#values.set(name, [value]);
  }

  /** Writes the stored counts (nothing when there are none) and forgets them. */
  flush(): void {
    if (this.#values.size === 0) return;
    const stored = [...this.#values];
    this.#values = new Map();
    const timestamp = Date.now();
    for (const batch of batches(stored)) {
      this.#write(JSON.stringify(this.#document(timestamp, batch)));
    }
  }

  #document(timestamp: number, batch: Array<[string, number[]]>): EmfDocument {
    const document: EmfDocument = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: this.#namespace,
            Dimensions: [['service']],
            Metrics: batch.map(([name]) => ({ Name: name, Unit: 'Count' })),
          },
        ],
      },
      service: this.#service,
    };
    for (const [name, values] of batch) document[name] = values.length === 1 ? values[0] : values;
    return document;
  }
}

/**
 * The stored values cut to EMF's limits: round `r` holds each metric's `r`-th slice of up
 * to 100 values (a document names a metric once), split into documents of up to 100 metrics.
 */
function batches<Name extends string>(
  stored: Array<[Name, number[]]>,
): Array<Array<[Name, number[]]>> {
  const result: Array<Array<[Name, number[]]>> = [];
  for (let start = 0; ; start += EMF_MAX_VALUES) {
    const round = stored
      .filter(([, values]) => values.length > start)
      .map(([name, values]): [Name, number[]] => [
        name,
        values.slice(start, start + EMF_MAX_VALUES),
      ]);
    if (round.length === 0) return result;
    for (let i = 0; i < round.length; i += EMF_MAX_METRICS) {
      result.push(round.slice(i, i + EMF_MAX_METRICS));
    }
  }
}
