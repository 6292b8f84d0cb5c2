// ESLint for the whole workspace: `npm run lint` runs it with Prettier's check.
import js from '@eslint/js';
import globals from 'globals';
import n8nCommunityNodes from '@n8n/eslint-plugin-community-nodes';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'dist-packages/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
    rules: { 'no-console': 'off' },
  },
  // n8n's community-node rules for the node, its credential and the package. Not the n8n Cloud set:
  // the node imports the core client (bundled into dist), which Cloud's import allowlist does not permit.
  {
    files: ['nodes/Connectly/**/*.ts', 'credentials/**/*.ts'],
    plugins: n8nCommunityNodes.configs.recommendedWithoutN8nCloudSupport.plugins,
    rules: n8nCommunityNodes.configs.recommendedWithoutN8nCloudSupport.rules,
  },
  {
    files: ['package.json'],
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
    plugins: n8nCommunityNodes.configs.recommendedWithoutN8nCloudSupport.plugins,
    rules: {
      ...n8nCommunityNodes.configs.recommendedWithoutN8nCloudSupport.rules,
      '@typescript-eslint/no-unused-expressions': 'off', // a JSON document is one bare expression
    },
  },
  prettier,
);
