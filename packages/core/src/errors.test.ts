import { describe, expect, it } from 'vitest'
import { EncryptedSocketError, isEncryptedSocketError } from './errors'

describe('EncryptedSocketError', () => {
  it('carries a stable code, a close code and the cause', () => {
    const cause = new Error('low level')
    const error = new EncryptedSocketError('ERR_REJECTED', 'The server rejected the token.', {
      cause,
      closeCode: 1008,
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('EncryptedSocketError')
    expect(error.code).toBe('ERR_REJECTED')
    expect(error.closeCode).toBe(1008)
    expect(error.cause).toBe(cause)
    expect(String(error)).toBe('EncryptedSocketError: The server rejected the token.')
  })

  it('is recognised by isEncryptedSocketError, with or without a code', () => {
    const error = new EncryptedSocketError('ERR_DECRYPT', 'm')
    expect(isEncryptedSocketError(error)).toBe(true)
    expect(isEncryptedSocketError(error, 'ERR_DECRYPT')).toBe(true)
    expect(isEncryptedSocketError(error, 'ERR_REPLAY')).toBe(false)
    expect(isEncryptedSocketError(new Error('m'))).toBe(false)
    expect(isEncryptedSocketError({ code: 'ERR_DECRYPT' })).toBe(false)
  })
})
