/** Data source implementations for the APPSYNC_JS runtime. */
export { createDynamoDbDataSource } from './dynamodb.js';
export { createLambdaDataSource, createNoneDataSource } from './lambda.js';
export type { LambdaInvoke } from './lambda.js';
