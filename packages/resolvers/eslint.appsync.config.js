// APPSYNC_JS subset rules for the resolver sources (the AWS-published plugin, with
// type information so it can flag unimplemented built-in methods).
import appsync from '@aws-appsync/eslint-plugin';

export default [
  {
    files: ['src/appsync/**/*.ts'],
    ...appsync.configs.recommended,
    languageOptions: {
      ...appsync.configs.recommended.languageOptions,
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
  },
];
