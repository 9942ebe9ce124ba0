// What an app bundle gets: bundles a few imports the way an app's bundler would (esbuild, browser,
// minified, peers external) and checks that what should be tree-shaken away is gone. Exits 1 if not.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

async function bundle(code) {
  const result = await build({
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
const checks = [
  [
    'core: the client alone',
    'export { EncryptedWebSocketClient } from "./packages/core/dist/index.js"',
    { absent: [ECDSA, ECDSA_V2, TESTING], present: ['AES-GCM'] },
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
    'testing: the mock server (the markers are real)',
    'export { createMockEncryptedServer } from "./packages/testing/dist/index.js"',
    { present: [TESTING] },
  ],
]

let failed = false
for (const [name, code, { absent = [], present = [] }] of checks) {
  const output = await bundle(code)
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
