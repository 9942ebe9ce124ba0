// A promise with its settle functions outside: what `connect()` returns while an attempt runs.
import type { EncryptedSocketError } from '../errors'

export interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (error: EncryptedSocketError) => void
}

export function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: EncryptedSocketError) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // A rejection nobody awaits (a hook's background connect) must not surface as unhandled.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}
