import { describe, expect, it } from 'vitest';
import { deadlineMarginMs } from '../src/process-stream.js';

describe('deadlineMarginMs', () => {
  it('keeps a tenth of the run time back, between 250 ms and 5 s', () => {
    expect(deadlineMarginMs(900_000)).toBe(5_000); // 15 min Lambda
    expect(deadlineMarginMs(30_000)).toBe(3_000);
    expect(deadlineMarginMs(3_000)).toBe(300);
    expect(deadlineMarginMs(1_000)).toBe(250);
    expect(deadlineMarginMs(0)).toBe(250);
  });
});
