import type { StreamUpdate } from '@org/bedrock-stream-client';

const notice: StreamUpdate = {
  type: 'notice',
  code: 'UNKNOWN_EVENTS',
  eventTypes: ['citation'],
  message: 'skipped events of types this client does not know (citation); ...',
};
