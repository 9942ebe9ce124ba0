import { createPrivateKey } from 'node:crypto'

// The protocol vectors and their loaders live with core's tests; the server's tests share them.
export {
  fromB64 as b64,
  importPrivateKey as importEcdh,
  vectors,
  type VectorCase,
} from '../../core/test/vectors'

/** The raw private scalar of a PKCS#8 P-256 key. */
export const privateScalar = (pkcs8: string): Buffer =>
  Buffer.from(
    createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    }).d!,
    'base64url',
  )
