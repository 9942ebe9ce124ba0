import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { forwardedFor } from '../src/index'
import { rawClient, startServer, until } from './helpers'

const request = (header?: string | string[]) =>
  ({ headers: header === undefined ? {} : { 'x-forwarded-for': header } }) as IncomingMessage

describe('forwardedFor', () => {
  it('reads the entry `hops` from the end, never the ones a client wrote before it', () => {
    expect(forwardedFor()(request('6.6.6.6, 203.0.113.7'))).toBe('203.0.113.7')
    expect(forwardedFor(2)(request('6.6.6.6, 203.0.113.7, 10.0.0.2'))).toBe('203.0.113.7')
    expect(forwardedFor(2)(request(['203.0.113.7', '10.0.0.2']))).toBe('203.0.113.7')
    expect(forwardedFor(2)(request('10.0.0.2'))).toBeUndefined() // too few: the socket's address
    expect(forwardedFor()(request())).toBeUndefined()
    expect(() => forwardedFor(0)).toThrow(/whole number ≥ 1/)
  })

  it('is the address the per-address limits count', async () => {
    const server = await startServer({ clientAddress: forwardedFor(), maxConnectionsPerAddress: 1 })
    const first = rawClient(server.url, { 'x-forwarded-for': '203.0.113.7' })
    await first.opened
    const other = rawClient(server.url, { 'x-forwarded-for': '198.51.100.9' })
    await other.opened
    await until(() => server.connections().length === 2)
    expect(
      server
        .connections()
        .map((c) => c.remoteAddress)
        .sort(),
    ).toEqual(['198.51.100.9', '203.0.113.7'])
    // The same client behind the proxy, claiming another address in front of it: still one address.
    const again = rawClient(server.url, { 'x-forwarded-for': '1.2.3.4, 203.0.113.7' })
    await expect(again.opened).rejects.toThrow('HTTP 429')
  })
})
