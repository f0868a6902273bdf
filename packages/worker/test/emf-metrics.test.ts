import { describe, expect, it } from 'vitest';
import { EmfMetrics, type EmfDocument } from '../src/emf-metrics.js';

/** Metrics whose flushed lines are parsed into `documents` (each must be one JSON line). */
function capture() {
  const documents: EmfDocument[] = [];
  const metrics = new EmfMetrics({
    namespace: 'BedrockStream',
    service: 'bedrock-stream-worker',
    write: (line) => {
      expect(line).not.toContain('\n');
      documents.push(JSON.parse(line) as EmfDocument);
    },
  });
  return { metrics, documents };
}

/** The metric names a document's directive declares. */
const declared = (document: EmfDocument) =>
  document._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((m) => m.Name));

describe('EmfMetrics', () => {
  it('writes one EMF document naming each metric, with its value at the root', () => {
    const { metrics, documents } = capture();
    const before = Date.now();
    metrics.addCount('Attempts');
    metrics.addCount('ChunksPublished', 5);
    metrics.flush();
    expect(documents).toHaveLength(1);
    const document = documents[0]!;
    expect(document._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(document._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'BedrockStream',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'Attempts', Unit: 'Count' },
          { Name: 'ChunksPublished', Unit: 'Count' },
        ],
      },
    ]);
    expect(document).toMatchObject({
      service: 'bedrock-stream-worker',
      Attempts: 1,
      ChunksPublished: 5,
    });
  });

  it('writes every value of a metric added more than once as an array', () => {
    const { metrics, documents } = capture();
    metrics.addCount('ChunksPublished');
    metrics.addCount('ChunksPublished');
    metrics.addCount('ChunksPublished', 3);
    metrics.flush();
    expect(declared(documents[0]!)).toEqual(['ChunksPublished']);
    expect(documents[0]!['ChunksPublished']).toEqual([1, 1, 3]);
  });

  it('writes nothing when nothing was added, and forgets what it flushed', () => {
    const { metrics, documents } = capture();
    metrics.flush();
    expect(documents).toEqual([]);
    metrics.addCount('Failures');
    metrics.flush();
    metrics.flush();
    expect(documents).toHaveLength(1);
  });

  it('splits past 100 metrics into several documents, each naming what it holds', () => {
    const { metrics, documents } = capture();
    const names = Array.from({ length: 250 }, (_, i) => `Metric${i}`);
    names.forEach((name, i) => metrics.addCount(name, i));
    metrics.flush();
    expect(documents.map((d) => declared(d).length)).toEqual([100, 100, 50]);
    expect(documents.flatMap(declared)).toEqual(names);
    for (const document of documents) {
      for (const name of declared(document)) expect(document[name]).toBe(names.indexOf(name));
    }
  });

  it('splits past 100 values of one metric, never naming a metric twice in a document', () => {
    const { metrics, documents } = capture();
    for (let i = 0; i < 230; i++) metrics.addCount('ChunksPublished', i);
    metrics.addCount('Attempts');
    metrics.flush();
    expect(documents.map(declared)).toEqual([
      ['ChunksPublished', 'Attempts'],
      ['ChunksPublished'],
      ['ChunksPublished'],
    ]);
    const values = documents.flatMap((d) => d['ChunksPublished'] as number[]);
    expect(values).toEqual(Array.from({ length: 230 }, (_, i) => i));
    expect(documents.map((d) => (d['ChunksPublished'] as number[]).length)).toEqual([100, 100, 30]);
  });

  it('refuses the names the document itself uses', () => {
    const { metrics } = capture();
    expect(() => metrics.addCount('service')).toThrow(/service/);
    expect(() => metrics.addCount('_aws')).toThrow(/_aws/);
  });
});
