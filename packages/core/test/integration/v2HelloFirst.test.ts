import WebSocket from 'ws'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedWebSocketClient } from '../../src/client/encryptedWebSocketClient'
import { ECDH_INFO, onCleanup, recordingLogger, TOKEN, until } from '../helpers'
import { startV2Peer } from '../v2Peer'

afterEach(() => vi.restoreAllMocks())

describe('the v2 hello', () => {
  it('goes out before the client has derived its keys, so that the server derives its own meanwhile', async () => {
    const server = await startV2Peer({ ecdhInfo: ECDH_INFO })
    onCleanup(() => server.stop())
    const sent: string[] = []
    class RecordingWebSocket extends WebSocket {
      override send(data: string | Uint8Array): void {
        sent.push(typeof data === 'string' ? data : 'a binary record')
        super.send(data)
      }
    }
    // The client's ECDH waits until the test lets it go.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle)
    vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation((...args) =>
      gate.then(() => deriveBits(...args)),
    )
    const client = new EncryptedWebSocketClient({
      url: server.url,
      ecdhInfo: ECDH_INFO,
      token: TOKEN,
      WebSocket: RecordingWebSocket,
      logger: recordingLogger(),
    })
    onCleanup(() => client.destroy())
    const connected = client.connect()

    await until(() => sent.length > 0)
    expect(JSON.parse(sent[0]!)).toMatchObject({ event: 'hello' })
    expect(sent).toHaveLength(1) // record #0 waits for the keys
    release()
    await connected
    expect(sent).toEqual([sent[0], 'a binary record'])
    expect(client.getSnapshot()).toMatchObject({ state: 'authenticated', protocol: 'v2' })
  })
})
