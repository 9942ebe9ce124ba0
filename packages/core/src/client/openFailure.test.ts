import { afterEach, describe, expect, it, vi } from 'vitest'
import { constructFailure, openFailure, originRefused, safeUrl } from './openFailure'

const url = 'wss://chat.example/socket?token=secret-token'
const keep = (text: string) => text

// The texts are what Node's `ws` reported on this machine for each case.
describe('openFailure: what a socket that never opened tells', () => {
  it.each([
    [
      'write EPROTO 805C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
      'ERR_TLS',
      false,
      'has no TLS',
    ],
    ['self-signed certificate', 'ERR_TLS', false, 'certificate'],
    ['unable to verify the first certificate', 'ERR_TLS', false, 'trusts'],
    ['Unexpected server response: 426', 'ERR_PROTOCOL_VERSION', false, "protocol: 'v1'"],
    ['Unexpected server response: 404', 'ERR_UNREACHABLE', true, 'HTTP 404'],
    ['connect ECONNREFUSED 127.0.0.1:1', 'ERR_UNREACHABLE', true, 'ECONNREFUSED'],
    ['getaddrinfo ENOTFOUND chat.example', 'ERR_UNREACHABLE', true, 'ENOTFOUND'],
    ['socket hang up', 'ERR_UNREACHABLE', true, 'wss://'],
    ['', 'ERR_UNREACHABLE', true, 'wss:// needs TLS'],
  ])('%j → %s', (detail, code, retry, hint) => {
    const failure = openFailure(url, detail, keep)
    expect(failure.error.code).toBe(code)
    expect(failure.retry).toBe(retry)
    expect(failure.error.message).toContain(hint)
    expect(failure.error.message).not.toContain('secret-token')
  })

  it('scrubs the detail it quotes', () => {
    const failure = openFailure(url, 'certificate for secret-token refused', (text) =>
      text.replace('secret-token', '[token]'),
    )
    expect(failure.error.message).toContain('[token]')
    expect(failure.error.message).not.toContain('secret-token')
  })

  it('shows the URL without its query', () => {
    expect(safeUrl(url)).toBe('wss://chat.example/socket')
    expect(safeUrl('not a url')).toBe('the WebSocket URL')
  })
})

describe('in a browser page', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('names the page Origin the server refused', () => {
    vi.stubGlobal('location', { origin: 'https://app.example', protocol: 'https:' })
    const error = originRefused()
    expect(error.code).toBe('ERR_ORIGIN_REFUSED')
    expect(error.message).toContain('(https://app.example)')
    expect(error.message).toContain('--origin')
  })

  it('tells mixed content (ws:// from an https:// page) apart from other construction failures', () => {
    vi.stubGlobal('location', { origin: 'https://app.example', protocol: 'https:' })
    expect(constructFailure('ws://chat.example/', new Error('SecurityError')).code).toBe('ERR_TLS')
    expect(constructFailure('wss://chat.example/', new Error('SyntaxError')).code).toBe(
      'ERR_CONNECTION_CLOSED',
    )
  })
})
