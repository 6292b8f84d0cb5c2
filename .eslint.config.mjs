// ESLint for the whole workspace: `npm run lint` runs it with Prettier's check.
import js from '@eslint/js';
import globals from 'globals';
import n8nCommunityNodes from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
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
  // The n8n package is held to n8n Cloud's rules: the community-nodes `recommended` set and the three
  // eslint-plugin-n8n-nodes-base sets, wired as n8n's verification scanner and `n8n-node lint` wire them
  // (including the three rules they switch off for community nodes). `npm run verify:n8n` runs the scanner itself.
  {
    files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
    plugins: { ...n8nCommunityNodes.configs.recommended.plugins, 'n8n-nodes-base': n8nNodesBase },
    rules: n8nCommunityNodes.configs.recommended.rules,
  },
  {
    files: ['package.json'],
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
    rules: {
      ...n8nNodesBase.configs.community.rules,
      '@typescript-eslint/no-unused-expressions': 'off', // a JSON document is one bare expression
    },
  },
  {
    files: ['credentials/**/*.ts'],
    rules: {
      ...n8nNodesBase.configs.credentials.rules,
      'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
      'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
    },
  },
  {
    files: ['nodes/**/*.ts'],
    rules: {
      ...n8nNodesBase.configs.nodes.rules,
      'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
      'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
      'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
    },
  },
  prettier,
);
