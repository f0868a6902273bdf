// What aws-appsync-subscription-link takes from `require("graphql/index.js")`: `print` and
// `GraphQLError`. Its CommonJS require would pull the whole graphql library (260 KB) into
// the page; graphql's ES module build is tree-shaken to these two and shared with
// @apollo/client.
export { print, GraphQLError } from 'graphql';
