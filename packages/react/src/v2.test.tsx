import { render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as root from './index'
import * as v2 from './v2'

// A v2-only client refuses protocol "v1"; the root's accepts it. What the hooks of each entry
// point render tells which client they created.
const options = {
  url: 'wss://example.com/ws',
  ecdhInfo: 'react-v2-entry',
  protocol: 'v1',
  enabled: false,
} as const

function Status({ entry }: { entry: typeof root | typeof v2 }) {
  const socket = entry.useEncryptedSocket(options)
  return <output data-testid="hook">{socket.lastError?.code ?? 'none'}</output>
}

function FromProvider() {
  return <output data-testid="provided">{root.useEncryptedSocket().lastError?.code ?? 'none'}</output>
}

afterEach(() => vi.restoreAllMocks())

describe('@encrypted-socket/react/v2', () => {
  it('has the same exports as the root', () => {
    expect(Object.keys(v2).sort()).toEqual(Object.keys(root).sort())
  })

  it.each([
    ['the root', root, 'none'],
    ['v2', v2, 'ERR_INVALID_OPTION'],
  ] as const)('%s: useEncryptedSocket and the provider create that entry’s client', (_, entry, expected) => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    render(
      <>
        <Status entry={entry} />
        <entry.EncryptedSocketProvider options={options}>
          <FromProvider />
        </entry.EncryptedSocketProvider>
      </>,
    )
    expect(screen.getByTestId('hook').textContent).toBe(expected)
    // The hooks of both entries share one context: the root's hook reads the v2 provider's client.
    expect(screen.getByTestId('provided').textContent).toBe(expected)
  })
})
