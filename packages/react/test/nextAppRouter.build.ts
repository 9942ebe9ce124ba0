// @encrypted-socket/react as a Next.js user gets it: core and react packed (as published),
// npm-installed with Next 16 and React 19 into a fresh App Router app whose root layout is a
// Server Component rendering <EncryptedSocketProvider> (a client reference thanks to the
// package's own 'use client') and whose page is a Client Component using the hooks; then
// `next build`, TypeScript check included, and the prerendered page read back.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { packTarballs } from '../../../scripts/test/packTarballs'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const VERSIONS = {
  next: '16.4.6',
  react: '19.3.1',
  'react-dom': '19.3.1',
  typescript: '5.9.3',
  '@types/react': '19.3.0',
  '@types/node': '20.19.43',
} as const
const ECDH_INFO = 'next-app-router/v1'

const FILES: Record<string, string> = {
  // A Server Component: async, and exporting metadata, which a 'use client' file may not.
  'app/layout.tsx': `
import { EncryptedSocketProvider } from '@encrypted-socket/react'
import type { ReactNode } from 'react'

export const metadata = { title: 'encrypted-socket on the App Router' }

export default async function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <EncryptedSocketProvider
          options={{ url: 'wss://chat.example.com/ws', ecdhInfo: '${ECDH_INFO}', token: 'header.payload.signature' }}
        >
          {children}
        </EncryptedSocketProvider>
      </body>
    </html>
  )
}
`,
  'app/page.tsx': `'use client'
import { useEncryptedSocket, useSocketEvent } from '@encrypted-socket/react'
import { useState } from 'react'

export default function Page() {
  const { state, encrypted } = useEncryptedSocket()
  const [last, setLast] = useState('nothing yet')
  useSocketEvent('chat.message', (message) => setLast(JSON.stringify(message)))
  return (
    <main>
      <p id="state">{\`state: \${state}, encrypted: \${String(encrypted)}\`}</p>
      <p id="last">{\`last message: \${last}\`}</p>
    </main>
  )
}
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['dom', 'dom.iterable', 'esnext'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      module: 'esnext',
      moduleResolution: 'bundler',
      resolveJsonModule: true,
      isolatedModules: true,
      jsx: 'react-jsx',
      plugins: [{ name: 'next' }],
    },
    include: ['next-env.d.ts', '**/*.ts', '**/*.tsx', '.next/types/**/*.ts'],
    exclude: ['node_modules'],
  }),
}

/** Runs a command to its exit; resolves to its output, rejects with it on a non-zero exit. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  // Vitest's NODE_ENV=test would make Next warn and build as it never does for a user.
  const { NODE_ENV: _, ...env } = process.env
  const child = spawn(command, args, {
    cwd,
    env: { ...env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  onTestFinished(() => {
    if (child.exitCode !== null || child.signalCode !== null) return
    // npm and Next run workers of their own: end the whole group.
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      child.kill('SIGKILL')
    }
  })
  return exited.then((code) => {
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)
    return output
  })
}

describe('Next.js App Router', () => {
  it('builds an app whose Server Component layout renders the provider', async () => {
    const started = performance.now()
    const app = mkdtempSync(join(tmpdir(), 'es-next-app-'))
    onTestFinished(() => rmSync(app, { recursive: true, force: true }))
    const [core, react] = await packTarballs(['core', 'react'], join(app, 'tarballs'))
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'next-app-router-check',
        private: true,
        dependencies: {
          '@encrypted-socket/core': `file:${core}`,
          '@encrypted-socket/react': `file:${react}`,
          next: VERSIONS.next,
          react: VERSIONS.react,
          'react-dom': VERSIONS['react-dom'],
        },
        devDependencies: {
          typescript: VERSIONS.typescript,
          '@types/react': VERSIONS['@types/react'],
          '@types/node': VERSIONS['@types/node'],
        },
      }),
    )
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(app, file)), { recursive: true })
      writeFileSync(join(app, file), text)
    }
    const packed = performance.now()
    await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], app)
    const installed = performance.now()
    const build = await run(process.execPath, [join(app, 'node_modules/next/dist/bin/next'), 'build'], app)
    const built = performance.now()
    const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`
    console.info(
      `Next App Router check: pack ${seconds(started, packed)}, npm install ${seconds(packed, installed)}, ` +
        `next build ${seconds(installed, built)}`,
    )

    expect(build).toContain(`Next.js ${VERSIONS.next}`)
    expect(build).toMatch(/Finished TypeScript/)
    expect(existsSync(join(app, '.next/BUILD_ID'))).toBe(true)
    // The prerendered page: the layout's metadata, and the hooks' server render.
    const html = readFileSync(join(app, '.next/server/app/index.html'), 'utf8')
    expect(html).toContain('<title>encrypted-socket on the App Router</title>')
    expect(html).toContain('state: disconnected, encrypted: false')
    expect(html).toContain('last message: nothing yet')
    // The layout passed the provider its options across the server/client boundary, the
    // provider being a client reference to the package's dist.
    expect(html).toContain(`\\"ecdhInfo\\":\\"${ECDH_INFO}\\"`)
    const manifest = readFileSync(join(app, '.next/server/app/page_client-reference-manifest.js'), 'utf8')
    const id = /"\[project\]\/node_modules\/@encrypted-socket\/react\/dist\/index\.js":\{"id":(\d+)/.exec(
      manifest,
    )?.[1]
    expect(id).toBeDefined()
    const payload = readFileSync(join(app, '.next/server/app/index.rsc'), 'utf8')
    expect(payload).toContain(`:I[${id},`)
    expect(payload).toContain('"EncryptedSocketProvider"')
  })
})
