/**
 * The HKDF info string both sides use unless told otherwise: the default of
 * `encrypted-socket-server` and the value the quickstart passes to the client. Client and server
 * must use the same one, or no message decrypts.
 */
export const DEFAULT_ECDH_INFO = 'encrypted-socket/v1'
