import {
  clientRecordKeys,
  createEphemeralKeys,
  generateServerIdentity,
  parseWelcome,
  PROTOCOL_V1,
  PROTOCOL_V2,
  verifyTranscript,
  welcomeSignedBytes,
} from '@encrypted-socket/core'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mockServers, type MockEncryptedServer, type ServerIdentity, type WelcomeFault } from './index'
import { RawSocket } from './test/rawSocket'
import { checkWelcome, ECDH_INFO, RawV2Client } from './test/rawV2Client'

const servers = mockServers({ ecdhInfo: ECDH_INFO, protocol: 'v2' }, 46_000)
afterEach(() => servers.stopAll())
let identity: ServerIdentity
beforeAll(async () => {
  identity = await generateServerIdentity()
})

const open = (server: MockEncryptedServer) => RawSocket.open(server.url, [PROTOCOL_V1, PROTOCOL_V2])

/** What a pinned client concludes from the welcome's text. */
async function refusalOf(text: string, pin?: Uint8Array<ArrayBuffer>) {
  try {
    const welcome = await checkWelcome(text, pin)
    const own = await createEphemeralKeys()
    await clientRecordKeys(
      own.privateKey,
      own.publicKey,
      text,
      welcome.serverPublicKey,
      welcome.salt,
      ECDH_INFO,
    )
    return 'accepted'
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`
  }
}

describe('v2 welcome faults', () => {
  it.each([
    ['bad-key', /^ERR_INVALID_PUBLIC_KEY: .*not on the P-256 curve/],
    ['bad-salt', /^ERR_PROTOCOL: salt is not 32 bytes/],
    ['without-keys', /^ERR_PROTOCOL: serverPublicKey/],
    ['bad-version', /^ERR_PROTOCOL: v is not 2/],
    ['fractional-valid-until', /^ERR_PROTOCOL: validUntil is not an integer/],
    ['unsigned', /^ERR_SERVER_AUTH: the welcome is not signed/],
    ['forged-signature', /^ERR_SERVER_AUTH: the signature does not verify/],
    ['other-identity', /^ERR_SERVER_AUTH: not the pinned identity/],
    ['stale', /^ERR_SERVER_AUTH: validUntil is too far/],
    ['future', /^ERR_SERVER_AUTH: validUntil is too far/],
  ] as const)('%s: a pinned client refuses it (%s)', async (fault, refusal) => {
    const server = servers.create({ identity })
    server.sendBadWelcome(fault)
    expect(await refusalOf(await (await open(server)).nextText(), identity.publicKey)).toMatch(refusal)
    server.resetHandshake()
    expect(await refusalOf(await (await open(server)).nextText(), identity.publicKey)).toBe('accepted')
  })

  it('other-identity is validly signed by the identity it names; stale is validly signed too', async () => {
    const server = servers.create({ identity })
    for (const fault of ['other-identity', 'stale'] as const) {
      server.sendBadWelcome(fault)
      const welcome = parseWelcome(await (await open(server)).nextText())
      if ('error' in welcome) throw new Error(welcome.error)
      const signed = welcomeSignedBytes(welcome.serverPublicKey, welcome.salt, welcome.validUntil)
      await expect(
        verifyTranscript(welcome.identityKey!, welcome.signature!, signed),
      ).resolves.toBeUndefined()
    }
  })

  it.each([
    ['sendInvalidServerKey', (s: MockEncryptedServer) => s.sendInvalidServerKey(), /^ERR_INVALID_PUBLIC_KEY/],
    [
      'connectedWithoutKeys',
      (s: MockEncryptedServer) => s.connectedWithoutKeys(),
      /^ERR_PROTOCOL: serverPublicKey/,
    ],
  ])('%s() has its v2 twin', async (_, arrange, refusal) => {
    const server = servers.create()
    arrange(server)
    expect(await refusalOf(await (await open(server)).nextText())).toMatch(refusal)
  })

  it.each([
    ['wrong-salt', (s: MockEncryptedServer) => s.sendBadWelcome('wrong-salt')],
    ['sendWrongSalt()', (s: MockEncryptedServer) => s.sendWrongSalt()],
  ])(
    '%s: the welcome parses, but the keys differ: record #0 does not open at the server (4001, no ready)',
    async (_, arrange) => {
      const server = servers.create()
      arrange(server)
      const client = await RawV2Client.start(server.url)
      await client.hello('t')
      expect((await client.raw.closed).code).toBe(4001)
      expect(client.raw.unread).toBe(0)
      expect(server.connections[0]!.errors).toEqual(['record #0 did not open'])
    },
  )

  it('second-welcome: another welcome, with another key, follows the first', async () => {
    const server = servers.create()
    server.sendBadWelcome('second-welcome')
    const raw = await open(server)
    const [first, second] = [parseWelcome(await raw.nextText()), parseWelcome(await raw.nextText())]
    if ('error' in first || 'error' in second) throw new Error('not two welcomes')
    expect(second.serverPublicKey).not.toEqual(first.serverPublicKey)
  })

  it('binary-first: a binary frame comes before the welcome', async () => {
    const server = servers.create()
    server.sendBadWelcome('binary-first')
    const raw = await open(server)
    expect(await raw.next()).toHaveProperty('bytes')
    expect(parseWelcome(await raw.nextText())).not.toHaveProperty('error')
  })

  it('none: no welcome at all (what the server would have sent comes before its answer to junk)', async () => {
    const server = servers.create()
    server.sendBadWelcome('none')
    const raw = await open(server)
    raw.send('junk')
    expect((await raw.closed).code).toBe(4001)
    expect(raw.unread).toBe(0)
  })

  it('hangHandshake(): the welcome comes, record #0 is never answered', async () => {
    const server = servers.create()
    server.hangHandshake()
    const client = await RawV2Client.start(server.url)
    await client.hello('t')
    await client.sendMessage({ t: 'ping', n: 0 })
    await expect.poll(() => server.connections[0]!.records.length).toBe(2)
    await server.connections[0]!.settled()
    expect(client.raw.unread).toBe(0)
    expect(server.connections[0]!.isAuthenticated).toBe(false)
  })
})
