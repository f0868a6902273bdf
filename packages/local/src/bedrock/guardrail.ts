import type { GuardrailRequest } from './chat.js';

/** The denied topic the deterministic guardrail reports when its marker triggers it. */
export const GUARDRAIL_TOPIC = 'Local deterministic guardrail';

function assessment(blocked: boolean): Record<string, unknown> {
  return {
    ...(blocked
      ? {
          topicPolicy: {
            topics: [{ name: GUARDRAIL_TOPIC, type: 'DENY', action: 'BLOCKED', detected: true }],
          },
        }
      : {}),
    invocationMetrics: {
      guardrailProcessingLatency: 1,
      usage: { topicPolicyUnits: 1, contentPolicyUnits: 0, wordPolicyUnits: 0 },
      guardrailCoverage: { textCharacters: { guarded: 1, total: 1 } },
    },
  };
}

/**
 * The guardrail trace of a response (Converse `metadata.trace.guardrail`, native
 * `amazon-bedrock-trace.guardrail`), or undefined when the request did not ask for tracing.
 * An intervention shows as a blocked denied topic on the input or on the output assessment.
 */
export function guardrailTrace(
  guardrail: GuardrailRequest | undefined,
  intervened: 'input' | 'output' | undefined,
  modelOutput: string,
): Record<string, unknown> | undefined {
  if (!guardrail || guardrail.trace === 'disabled') return undefined;
  const id = guardrail.identifier;
  return {
    ...(guardrail.trace === 'enabled_full' || intervened === 'output'
      ? { modelOutput: [modelOutput] }
      : {}),
    inputAssessment: { [id]: assessment(intervened === 'input') },
    ...(intervened === 'input'
      ? {}
      : { outputAssessments: { [id]: [assessment(intervened === 'output')] } }),
    actionReason: intervened ? 'Guardrail blocked.' : 'No action.',
  };
}
