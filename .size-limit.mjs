// Bundle size budgets (npm test runs this): what an app's production bundle gets, min + brotli,
// peers external. `production` is the export condition Vite and webpack resolve in a production
// build: core's dist/production/ (short messages, no development warnings), named directly for core.
const production = (config) => ({ ...config, conditions: ['production'] })

const entry = (name, path, exported, limit, ignore = []) => ({
  name,
  path,
  import: `{ ${exported} }`,
  ignore,
  limit,
  modifyEsbuildConfig: production,
})

export default [
  entry(
    'core: EncryptedWebSocketClient (v1 and v2)',
    'packages/core/dist/production/index.js',
    'EncryptedWebSocketClient',
    '16 KiB',
  ),
  entry(
    'core/v2: EncryptedWebSocketClient (v2 only)',
    'packages/core/dist/production/v2.js',
    'EncryptedWebSocketClient',
    '14 KiB',
  ),
  entry(
    'react: useEncryptedSocket (core v1 and v2 included)',
    'packages/react/dist/index.js',
    'useEncryptedSocket',
    '17 KiB',
    ['react'],
  ),
  entry(
    'react/v2: useEncryptedSocket (core v2 only included)',
    'packages/react/dist/v2.js',
    'useEncryptedSocket',
    '15 KiB',
    ['react'],
  ),
  entry(
    'vue: useEncryptedSocket (core v1 and v2 included)',
    'packages/vue/dist/index.js',
    'useEncryptedSocket',
    '17 KiB',
    ['vue'],
  ),
  entry(
    'vue/v2: useEncryptedSocket (core v2 only included)',
    'packages/vue/dist/v2.js',
    'useEncryptedSocket',
    '15 KiB',
    ['vue'],
  ),
]
