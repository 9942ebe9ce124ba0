// What an app bundle gets: bundles a few imports the way an app's bundler would (esbuild, browser,
// minified, peers external) and checks that what should be tree-shaken away is gone. Exits 1 if not.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

async function bundle(code, conditions = []) {
  const result = await build({
    conditions,
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: ['react', 'react-dom', 'vue'],
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}

// Markers: text that exists only in the module it stands for.
const ECDSA = 'encrypted-socket/v1 connected' // the server-authentication transcript (v1)
const ECDSA_V2 = 'encrypted-socket/v2 welcome' // what a v2 server identity signs
const TESTING = 'mock server:' // @encrypted-socket/testing's mock server (its error messages)
const V1 = 'the server could not decrypt our first frame' // the client's v1 protocol (v1Protocol.ts)
const DEV_TEXTS = ['Unknown option', 'like console (info, warn, error, debug)'] // development build only
const PRODUCTION = ['production'] // the export condition of an app's production build
const checks = [
  [
    'core: the client alone (v1 and v2)',
    'export { EncryptedWebSocketClient } from "./packages/core/dist/index.js"',
    { absent: [ECDSA, ECDSA_V2, TESTING], present: ['AES-GCM', V1] },
  ],
  [
    'core: the client with pinning',
    'export { EncryptedWebSocketClient, pinServerKey } from "./packages/core/dist/index.js"',
    { present: [ECDSA, ECDSA_V2] },
  ],
  [
    'react: useEncryptedSocket',
    'export { useEncryptedSocket } from "./packages/react/dist/index.js"',
    { absent: [ECDSA, ECDSA_V2, TESTING], present: ['AES-GCM'] },
  ],
  [
    'vue: useEncryptedSocket',
    'export { useEncryptedSocket } from "./packages/vue/dist/index.js"',
    { absent: [ECDSA, ECDSA_V2, TESTING], present: ['AES-GCM'] },
  ],
  [
    'core/v2: the client alone, with none of v1',
    'export { EncryptedWebSocketClient } from "./packages/core/dist/v2.js"',
    { absent: [V1, ECDSA, ECDSA_V2, TESTING], present: ['AES-GCM', ...DEV_TEXTS] },
  ],
  [
    'react/v2: useEncryptedSocket, production build: no v1, no development texts',
    'export { useEncryptedSocket } from "./packages/react/dist/v2.js"',
    { absent: [V1, ECDSA, ECDSA_V2, ...DEV_TEXTS], present: ['AES-GCM'] },
    PRODUCTION,
  ],
  [
    'vue/v2: useEncryptedSocket, production build: no v1, no development texts',
    'export { useEncryptedSocket } from "./packages/vue/dist/v2.js"',
    { absent: [V1, ECDSA, ECDSA_V2, ...DEV_TEXTS], present: ['AES-GCM'] },
    PRODUCTION,
  ],
  [
    'react: useEncryptedSocket, production build: no development texts',
    'export { useEncryptedSocket } from "./packages/react/dist/index.js"',
    { absent: DEV_TEXTS, present: [V1] },
    PRODUCTION,
  ],
  [
    'testing: the mock server (the markers are real)',
    'export { createMockEncryptedServer } from "./packages/testing/dist/index.js"',
    { present: [TESTING] },
  ],
]

let failed = false
for (const [name, code, { absent = [], present = [] }, conditions] of checks) {
  const output = await bundle(code, conditions)
  const wrong = [
    ...absent.filter((marker) => output.includes(marker)).map((marker) => `contains "${marker}"`),
    ...present.filter((marker) => !output.includes(marker)).map((marker) => `lacks "${marker}"`),
  ]
  failed ||= wrong.length > 0
  console.log(
    `${wrong.length ? 'FAIL' : 'ok  '} ${name} (${output.length.toLocaleString('en-US')} B minified)${wrong.length ? `: ${wrong.join(', ')}` : ''}`,
  )
}
process.exit(failed ? 1 : 0)
