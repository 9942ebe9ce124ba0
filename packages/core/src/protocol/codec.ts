import { IV_LENGTH, TAG_LENGTH } from '../crypto/aesGcm'
import { decodeBase64, encodeBase64 } from '../crypto/base64'

/** Data of the server's `connected` reply. Keys are absent only from a server without encryption. */
export interface ConnectedFrame {
  type: 'connected'
  id: string
  userId: string
  time?: string
  serverPublicKey?: Uint8Array<ArrayBuffer>
  salt?: Uint8Array<ArrayBuffer>
  /** Opt-in server authentication: the server's long-term ECDSA P-256 public key (raw). */
  identityKey?: Uint8Array<ArrayBuffer>
  /** Its signature over the handshake transcript (ignored by clients that do not pin a key). */
  signature?: Uint8Array<ArrayBuffer>
}

/** A protocol v1 frame, as `parseFrame` returns it and `encodeFrame` takes it. */
export type Frame =
  | { type: 'authenticate'; token: string; clientPublicKey: Uint8Array<ArrayBuffer> }
  | ConnectedFrame
  /** `room`: the room a `JOIN_DENIED` refused (an addition of this server; other v1 peers ignore it). */
  | { type: 'error'; message: string; code?: string | number; room?: string }
  | { type: 'heartbeat' }
  | { type: 'join'; rooms: string[] }
  | { type: 'leave'; rooms: string[] }
  | { type: 'encrypted'; iv: Uint8Array<ArrayBuffer>; ct: Uint8Array<ArrayBuffer> }

/** An application event that arrived in plaintext: never delivered while encryption is required. */
export interface PlaintextFrame {
  type: 'plaintext'
  event: string
  data: unknown
}

/**
 * A frame that is not valid protocol v1. `reason` names what is wrong, never the frame's content
 * (it may hold a token). `event` is set when the frame named one.
 */
export interface MalformedFrame {
  type: 'malformed'
  reason: string
  event?: string
}

export type IncomingFrame = Frame | PlaintextFrame | MalformedFrame

type JsonObject = Record<string, unknown>

type FrameParser<F extends IncomingFrame = IncomingFrame> = (data: unknown, event: string) => F

/** What a client can receive: server-to-client frames, plaintext events, malformed frames. */
export type ServerFrame = Exclude<IncomingFrame, { type: 'authenticate' | 'join' | 'leave' }>

// What a server may send; a client parses only these, so the rest stays out of its bundle.
const FROM_SERVER: Record<string, FrameParser<ServerFrame>> = {
  encrypted: (data) => parseEncrypted(data),
  connected: (data) => parseConnected(data),
  error: (data) => parseError(data),
  heartbeat: () => ({ type: 'heartbeat' }),
}
const ANY_DIRECTION: Record<string, FrameParser> = /* @__PURE__ */ Object.assign({}, FROM_SERVER, {
  join: (data: unknown) => parseRooms('join', data),
  leave: (data: unknown) => parseRooms('leave', data),
  authenticate: (data: unknown) => parseAuthenticate(data),
})

/**
 * Turns one incoming WebSocket message into a frame. Never throws: anything that is not a text
 * frame holding a protocol v1 JSON object comes back as `{ type: 'malformed', reason }`.
 */
export function parseFrame(message: unknown): IncomingFrame {
  return parseWith(message, ANY_DIRECTION)
}

/**
 * `parseFrame` for what a client receives: the client-to-server events (`authenticate`, `join`,
 * `leave`) come back as `plaintext`, which a client drops.
 */
export function parseServerFrame(message: unknown): ServerFrame {
  return parseWith(message, FROM_SERVER)
}

function parseWith<F extends IncomingFrame>(
  message: unknown,
  parsers: Record<string, FrameParser<F>>,
): F | PlaintextFrame | MalformedFrame {
  if (typeof message !== 'string') return malformed('binary frames are not part of protocol v1')
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return malformed('not valid JSON')
  }
  if (!isObject(value)) return malformed('not a JSON object')
  const event = own(value, 'event')
  if (typeof event !== 'string') return malformed('no string "event" field')
  const data = own(value, 'data')
  const parse = own(parsers, event) as FrameParser<F> | undefined
  return parse ? parse(data, event) : { type: 'plaintext', event, data }
}

function parseEncrypted(data: unknown): ServerFrame {
  const iv = base64Field(data, 'iv')
  const ct = base64Field(data, 'ct')
  if (iv?.length !== IV_LENGTH || !ct || ct.length < TAG_LENGTH) {
    return malformed(
      `"data" must hold a ${IV_LENGTH}-byte "iv" and a "ct" of at least ${TAG_LENGTH} bytes, in canonical base64`,
      'encrypted',
    )
  }
  return { type: 'encrypted', iv, ct }
}

const KEY_FIELDS = ['serverPublicKey', 'salt', 'identityKey', 'signature'] as const

function parseConnected(data: unknown): ServerFrame {
  const id = own(data, 'id')
  const userId = own(data, 'userId')
  const time = own(data, 'time')
  const frame: ConnectedFrame = { type: 'connected', id: id as string, userId: userId as string }
  if (time !== undefined) frame.time = time as string
  let valid =
    typeof id === 'string' && typeof userId === 'string' && (time === undefined || typeof time === 'string')
  for (const field of KEY_FIELDS) {
    if (own(data, field) === undefined) continue
    const bytes = base64Field(data, field)
    if (bytes) frame[field] = bytes
    else valid = false
  }
  return valid
    ? frame
    : malformed(
        '"data" must hold string "id" and "userId", an optional string "time", keys in canonical base64',
        'connected',
      )
}

function parseError(data: unknown): ServerFrame {
  const message = own(data, 'message')
  const code = own(data, 'code')
  if (
    typeof message !== 'string' ||
    !(code === undefined || typeof code === 'string' || typeof code === 'number')
  ) {
    return malformed('"data" must hold a string "message" and an optional string or number "code"', 'error')
  }
  const room = own(data, 'room')
  return {
    type: 'error',
    message,
    ...(code === undefined ? {} : { code }),
    ...(typeof room === 'string' ? { room } : {}),
  }
}

function parseRooms(event: 'join' | 'leave', data: unknown): IncomingFrame {
  const rooms = isObject(data) ? own(data, 'rooms') : undefined
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === 'string')) {
    return malformed('"data.rooms" must be an array of strings', event)
  }
  return { type: event, rooms: rooms as string[] }
}

function parseAuthenticate(data: unknown): IncomingFrame {
  if (!isObject(data)) return malformed('"data" must be an object', 'authenticate')
  if (own(data, 'type') !== 'Bearer') return malformed('"data.type" must be "Bearer"', 'authenticate')
  const token = own(data, 'token')
  if (typeof token !== 'string') return malformed('"data.token" must be a string', 'authenticate')
  const clientPublicKey = base64Field(data, 'clientPublicKey')
  if (!clientPublicKey) {
    return malformed('"data.clientPublicKey" must be canonical base64', 'authenticate')
  }
  return { type: 'authenticate', token, clientPublicKey }
}

/** Serialises a frame for the wire. Application events are never encoded here: seal them. */
export function encodeFrame(frame: Frame): string {
  switch (frame.type) {
    case 'encrypted':
      return encodeEncrypted(frame.iv, frame.ct)
    case 'authenticate':
      return encodeAuthenticate(frame.token, frame.clientPublicKey)
    case 'connected':
      return JSON.stringify({
        event: 'connected',
        data: {
          id: frame.id,
          userId: frame.userId,
          time: frame.time,
          serverPublicKey: frame.serverPublicKey && encodeBase64(frame.serverPublicKey),
          salt: frame.salt && encodeBase64(frame.salt),
          identityKey: frame.identityKey && encodeBase64(frame.identityKey),
          signature: frame.signature && encodeBase64(frame.signature),
        },
      })
    case 'error':
      return JSON.stringify({
        event: 'error',
        data: { code: frame.code, message: frame.message, ...(frame.room === undefined ? {} : { room: frame.room }) },
      })
    case 'heartbeat':
      return HEARTBEAT_FRAME
    case 'join':
    case 'leave':
      return encodeRooms(frame.type, frame.rooms)
  }
}

export const HEARTBEAT_FRAME = '{"event":"heartbeat"}'

export function encodeEncrypted(iv: Uint8Array, ct: Uint8Array): string {
  // Base64 needs no JSON escaping: build the text directly instead of scanning a large string.
  return `{"event":"encrypted","data":{"iv":"${encodeBase64(iv)}","ct":"${encodeBase64(ct)}"}}`
}

export function encodeAuthenticate(token: string, clientPublicKey: Uint8Array): string {
  return JSON.stringify({
    event: 'authenticate',
    data: { type: 'Bearer', token, clientPublicKey: encodeBase64(clientPublicKey) },
  })
}

export function encodeRooms(type: 'join' | 'leave', rooms: readonly string[]): string {
  return JSON.stringify({ event: type, data: { rooms } })
}

/** An application message, the plaintext inside an `encrypted` frame. */
export interface ApplicationMessage {
  event: string
  data?: unknown
}

/**
 * Validates the decrypted inner JSON: an object with a string `event`. Returns the message, or
 * the reason it is not one.
 */
export function parseApplicationMessage(json: string): ApplicationMessage | MalformedFrame {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return malformed('the decrypted message is not valid JSON')
  }
  if (!isObject(value)) return malformed('the decrypted message is not a JSON object')
  const event = own(value, 'event')
  if (typeof event !== 'string') return malformed('the decrypted message has no string "event"')
  const data = own(value, 'data')
  return data === undefined ? { event } : { event, data }
}

function malformed(reason: string, event?: string): MalformedFrame {
  return event === undefined ? { type: 'malformed', reason } : { type: 'malformed', reason, event }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads only own properties of an object, so nothing inherited (or polluted) is ever taken for
 * data; `undefined` for anything that is not an object.
 */
function own(object: unknown, key: string): unknown {
  return isObject(object) && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined
}

function base64Field(object: unknown, key: string): Uint8Array<ArrayBuffer> | undefined {
  const value = own(object, key)
  return typeof value === 'string' ? decodeBase64(value) : undefined
}
