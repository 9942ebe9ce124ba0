// The cases of binary-crypto.mjs, run unchanged in Node and in a Chromium page: `core` is
// @encrypted-socket/core's module (imported by the caller). One round trip = what the client does
// to send a binary payload and what it does to receive one, without the socket:
// - v2: copy the bytes (as send() does), msg JSON + attachment → record plaintext, seal the record;
//   open it, read the message (its data is a view of the attachment);
// - v1 (which has no binary payloads): the same bytes base64'd into a JSON string, {event, data}
//   serialised and sealed into an `encrypted` frame (which base64s the ciphertext again); parse the
//   frame, open it, decode the base64 back to bytes;
// - raw: Web Crypto AES-256-GCM encrypt + decrypt of the payload bytes, nothing else.

export async function measureBinaryRoundTrips(core, { sizes, runs, minMs }) {
  const { createEphemeralKeys, deriveSessionKey, deriveRecordKeys, transcriptHash, deriveSharedSecret, importPeerPublicKey } = core
  const { msgJson, encodeRecordPlaintext, sealRecord, openRecord, readMessage } = core
  const { encodeBase64, decodeBase64, sealMessage, parseServerFrame, openMessage } = core

  const client = await createEphemeralKeys()
  const server = await createEphemeralKeys()
  const salt = crypto.getRandomValues(new Uint8Array(32))
  const v1Key = await deriveSessionKey(client.privateKey, server.publicKey, salt, 'bench')
  const shared = await deriveSharedSecret(client.privateKey, await importPeerPublicKey(server.publicKey))
  const { s2c: v2Key } = await deriveRecordKeys(shared, salt, await transcriptHash('bench', client.publicKey), 'bench')

  const results = []
  for (const size of sizes) {
    const payload = randomBytes(size)
    let n = 0
    const v2 = async () => {
      const binary = new Uint8Array(payload)
      const json = msgJson({ t: 'msg', seq: n + 1 }, 'bench', undefined, true)
      const record = await sealRecord(v2Key, n, encodeRecordPlaintext(json, binary))
      const read = readMessage(await openRecord(v2Key, n, record), 'server')
      n++
      if (read.type !== 'message' || read.message.data.length !== size) throw new Error('bench: v2 round trip failed')
    }
    const v1 = async () => {
      const { frame } = await sealMessage(v1Key, { event: 'bench', data: encodeBase64(payload) })
      const parsed = parseServerFrame(frame)
      if (parsed.type !== 'encrypted') throw new Error('bench: expected an encrypted frame')
      const message = await openMessage(v1Key, parsed.iv, parsed.ct)
      if (decodeBase64(message.data)?.length !== size) throw new Error('bench: v1 round trip failed')
    }
    const raw = async () => {
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, v2Key, payload)
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, v2Key, ct)
    }
    // Each protocol is paired with raw AES-GCM, the two alternating (and swapping places every
    // iteration), so that the garbage one leaves behind is collected during both alike.
    const perRun = []
    for (const run of [v2, v1, raw]) await run() // warm up
    for (let r = 0; r < runs; r++) {
      const rates = {}
      for (const [name, protocol] of [['v2', v2], ['v1', v1]]) {
        const ms = { protocol: 0, raw: 0 }
        let count = 0
        while (ms.protocol + ms.raw < 2 * minMs) {
          const order = count % 2 === 0 ? [['protocol', protocol], ['raw', raw]] : [['raw', raw], ['protocol', protocol]]
          for (const [which, run] of order) {
            const start = performance.now()
            await run()
            ms[which] += performance.now() - start
          }
          count++
        }
        rates[name] = (count * 1000) / ms.protocol
        rates[`${name}Raw`] = (count * 1000) / ms.raw
      }
      perRun.push(rates)
    }
    results.push({ size, perRun })
  }
  return results
}

/** getRandomValues fills at most 64 KiB per call. */
function randomBytes(size) {
  const bytes = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536))
  return bytes
}
