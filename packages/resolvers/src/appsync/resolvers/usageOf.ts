// Query.usageOf (@aws_iam only; pipeline: queryUsageDays -> queryUsageMonths): any owner's
// ledger, for the app's backend (billing, support). The schema's @aws_iam keeps end users out.
import { util, type Context } from '@aws-appsync/utils';
import { prepareUsage, toUsage } from '../lib/usage.js';

/** Owner keys are `jwt:<issuer>:<sub>`, `iam:<arn>` or `apikey`; this bounds a stray value. */
const MAX_OWNER_CHARS = 1024;

export function request(ctx: Context) {
  const owner = ctx.args['owner'];
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_OWNER_CHARS) {
    util.error(
      `owner must be an owner key of 1 to ${MAX_OWNER_CHARS} characters`,
      'ValidationError',
    );
  }
  prepareUsage(ctx, owner as string, ctx.args['from'], ctx.args['to']);
  return {};
}

export function response(ctx: Context) {
  return toUsage(ctx);
}
