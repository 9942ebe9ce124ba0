import type { EventHandler } from './eventContext'
import type { AuthorizeJoin } from './roomAuthorization'

const MAX_TEXT = 2000

/**
 * The demo's handlers (`--demo`): `echo` → `echo.reply` with the same data, and
 * `chat.send { room, text }` → `chat.message { room, text, from, at }` to everyone in the room
 * (the sender must have joined it).
 */
/**
 * The demo's rooms (`--demo` without `--authorize-join`): open to everyone, but a room named
 * `<user>-private` is that user's alone.
 */
export const demoAuthorizeJoin: AuthorizeJoin = ({ userId }, room) =>
  !room.endsWith('-private') ||
  room === `${userId}-private` || {
    code: 'FORBIDDEN',
    message: `Only ${room.slice(0, -'-private'.length)} may join ${room}.`,
  }

export const demoHandler: EventHandler = async (context, event, data) => {
  if (event === 'echo') {
    await context.reply('echo.reply', data)
    return
  }
  if (event !== 'chat.send') return
  const { room, text } = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  if (typeof room !== 'string' || typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
    await context.reply('chat.error', {
      message: `chat.send needs { room: string, text: 1..${MAX_TEXT} characters }`,
    })
    return
  }
  if (!context.rooms.has(room)) {
    await context.reply('chat.error', { message: `join "${room}" before sending to it` })
    return
  }
  await context.server.sendToRoom(room, 'chat.message', {
    room,
    text,
    from: context.userId,
    at: new Date().toISOString(),
  })
}
