import type { KeyObject } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { sealFrame } from '../crypto/messageCrypto'
import { sealRecord } from '../crypto/records'
import { counterIv } from '../crypto/sentIvs'
import type { FromSealWorker, ToSealWorker } from './sealMessages'

/**
 * A fan-out seal worker (`workers`): holds the keys of the connections the main thread gave it,
 * and seals the frames it is asked to, under the counters the main thread took. It allocates no
 * IV and no record number and writes nothing: it only runs the cipher. It never logs.
 */
if (!parentPort) throw new Error('encrypted-socket server: sealWorker runs as a worker thread only.')
const port = parentPort

const keys = new Map<number, { protocol: 1 | 2; key: KeyObject; ivPrefix: number }>()

port.on('message', (message: ToSealWorker) => {
  switch (message.type) {
    case 'key':
      keys.set(message.handle, { protocol: message.protocol, key: message.key, ivPrefix: message.ivPrefix })
      return
    case 'forget':
      keys.delete(message.handle)
      return
    case 'count':
      return answer({ type: 'count', job: message.job, keys: keys.size })
    case 'seal':
      return seal(message.job, message.plaintexts, message.items)
    case 'crash':
      throw new Error('seal worker: crash asked for (a test)')
  }
})

function seal(job: number, plaintexts: Uint8Array[], items: Float64Array): void {
  const count = items.length / 3
  const texts: (string | null)[] = new Array<string | null>(count).fill(null)
  const records: (Buffer | null)[] = new Array<Buffer | null>(count).fill(null)
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const held = keys.get(items[3 * i]!)
    const counter = items[3 * i + 1]!
    const plaintext = plaintexts[items[3 * i + 2]!]
    if (!held || !plaintext) continue
    if (held.protocol === 1)
      texts[i] = sealFrame(held.key, plaintext, counterIv(held.ivPrefix, counter)).frame
    else bytes += (records[i] = sealRecord(held.key, counter, plaintext)).length
  }
  // The records travel in one transferred buffer (a Buffer from Node's pool cannot be transferred).
  const packed = new Uint8Array(bytes)
  const offsets = new Int32Array(2 * count).fill(-1)
  for (let i = 0, at = 0; i < count; i++) {
    const record = records[i]
    if (!record) continue
    packed.set(record, at)
    offsets[2 * i] = at
    offsets[2 * i + 1] = record.length
    at += record.length
  }
  answer({ type: 'sealed', job, texts, packed: packed.buffer, offsets }, [packed.buffer, offsets.buffer])
}

function answer(message: FromSealWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}
