import { describe, expect, it } from 'vitest'
import { openBytes } from '../src/crypto/aesGcm'
import { hopKey, openHop, sealHop } from '../src/crypto/redisHop'
import { deriveAesKey } from '../src/crypto/sessionKey'

const SECRET = 'a-redis-secret-of-at-least-32-bytes!'

describe('the Redis hop (node:crypto)', () => {
  it('opens only with the same secret and on the same channel', () => {
    const text = JSON.stringify({ event: 'chat.message', data: { text: 'héllo 🔐' }, origin: 'a' })
    const sealed = sealHop(hopKey(SECRET), text, 'app:fanout')
    expect(openHop(hopKey(SECRET), sealed, 'app:fanout')).toBe(text)
    expect(openHop(hopKey(SECRET), sealed, 'other-app:fanout')).toBeNull()
    expect(openHop(hopKey(`${SECRET}?`), sealed, 'app:fanout')).toBeNull()
  })

  it('does not open under the key of the earlier format (HKDF info "fanout", no channel binding)', () => {
    const sealed = Buffer.from(sealHop(hopKey(SECRET), 'message', 'app:fanout'), 'base64')
    const earlierKey = deriveAesKey(Buffer.from(SECRET), Buffer.from('encrypted-socket/redis'), 'fanout')
    expect(openBytes(earlierKey, sealed.subarray(0, 12), sealed.subarray(12))).toBeNull()
  })

  it('reads nothing from garbage', () => {
    for (const garbage of ['not base64 at all', '', '1', 'A'.repeat(40)]) {
      expect(openHop(hopKey(SECRET), garbage, 'app:fanout')).toBeNull()
    }
  })
})
