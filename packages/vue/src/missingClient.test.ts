import { describe, expect, it } from 'vitest'
import { effectScope } from 'vue'
import { useRoom } from './useRoom'
import { useSocketEvent } from './useSocketEvent'

describe('without a client or plugin, the error names what is missing', () => {
  it('useRoom and useSocketEvent take no options: they ask for { client } or the plugin', () => {
    expect(() => effectScope().run(() => useRoom('desk'))).toThrow(
      'useRoom needs { client } or app.use(createEncryptedSocket(…)).',
    )
    expect(() => effectScope().run(() => useSocketEvent('chat', () => undefined))).toThrow(
      'useSocketEvent needs { client } or app.use(createEncryptedSocket(…)).',
    )
  })
})
