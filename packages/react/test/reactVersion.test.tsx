// Which React ran: the `react` project's (package.json's devDependency) or, in the `react18`
// project, test/react18's. The test file, Testing Library's react-dom and the adapter itself (src,
// and dist through its exports map) must all be on that one copy.
import { createRequire } from 'node:module'
import * as dist from '@encrypted-socket/react'
import { render, screen, waitFor } from '@testing-library/react'
import { createElement, version, type ReactNode } from 'react'
import { version as domVersion } from 'react-dom'
import { describe, expect, it } from 'vitest'
import * as src from '../src/index'
import { clientOptions, mockServer } from './helpers'

const require = createRequire(import.meta.url)
const { devDependencies } = require('../package.json') as { devDependencies: Record<string, string> }
const expected = process.env.EXPECTED_REACT_VERSION ?? devDependencies.react!
const major = Number(expected.split('.')[0])

/** The version of every copy of react and react-dom that Node has loaded in this worker. */
function loadedVersions(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>()
  for (const file of Object.keys(require.cache)) {
    const match = /^(.*[\\/]node_modules[\\/](react|react-dom))[\\/]/.exec(file)
    if (!match) continue
    const { version } = require(`${match[1]}/package.json`) as { version: string }
    found.set(match[2]!, (found.get(match[2]!) ?? new Set()).add(version))
  }
  return found
}

describe(`React ${expected}`, () => {
  it('is the react and react-dom this file imports', () => {
    expect(version).toBe(expected)
    expect(domVersion).toBe(expected)
  })

  for (const [name, adapter] of [
    ['src', src],
    ['dist', dist],
  ] as const) {
    it(`runs the adapter's ${name}: its hooks on the renderer's React, its elements of that React`, async () => {
      const server = mockServer()
      let provided: ReactNode
      // Called as a function, the provider's hooks run on whatever React the adapter imports: only
      // the copy Testing Library's react-dom renders with has a dispatcher (others throw).
      function Probe() {
        provided = adapter.EncryptedSocketProvider({ options: clientOptions(server.url, { enabled: false }) })
        return null
      }
      function State() {
        return <output>{adapter.useEncryptedSocket().state}</output>
      }
      render(
        <>
          <Probe />
          <adapter.EncryptedSocketProvider options={clientOptions(server.url)}>
            <State />
          </adapter.EncryptedSocketProvider>
        </>,
      )
      // React 19's elements are 'react.transitional.element', React 18's 'react.element'.
      const elementType = Symbol.for(major >= 19 ? 'react.transitional.element' : 'react.element')
      const typeOf = (element: unknown) => (element as { $$typeof: symbol }).$$typeof
      expect(typeOf(createElement('i'))).toBe(elementType)
      expect(typeOf(provided)).toBe(elementType)
      await waitFor(() => expect(screen.getByRole('status').textContent).toBe('authenticated'))
    })
  }

  it('is the only React that Node loaded', () => {
    expect(loadedVersions()).toEqual(
      new Map([
        ['react', new Set([expected])],
        ['react-dom', new Set([expected])],
      ]),
    )
  })
})
