#!/usr/bin/python3
"""An independent server-side peer for wire protocol v2 (docs/protocol-v2.md).

It shares no code with the TypeScript implementation: pyca/cryptography for the crypto,
websockets (10.x) for the transport. It exists so the test suite can prove that our client
talks v2 to a peer written from the spec alone.

Behaviour: tokens `user:<name>` are accepted as user `<name>` (others: AUTH_FAILED, 1008); event
`echo` is answered with `echo.reply` (same data, binary in -> binary out); `ping` -> `pong`;
`join` -> `joined` then a `room.hello` room message; a msg with an `id` is answered with a `res`
echoing its payload; every client msg is acknowledged. No session is kept: never resumed.
Stdout carries one line per fact the tests may wait for: `LISTENING <port>`,
`CONNECTED <id>`, `READY <id> <userId>`, `PING <id> <n>`, `CLOSED <id> <code>`.
"""

import argparse
import asyncio
import base64
import hashlib
import itertools
import json
import os
import struct
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

try:
    import websockets
except ImportError:  # check_vectors.py imports this file for its crypto alone
    websockets = None

SUBPROTOCOL = 'encrypted-socket.v2'
MAX_RECORDS = 2**32
MAX_PAYLOAD = 2 * 1024 * 1024


class Violation(Exception):
    """Anything that the spec answers with close 4001."""


# ---- Crypto and framing (what check_vectors.py checks) -------------------------------------

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode('ascii')


def unb64(text: object) -> bytes:
    """Canonical base64 only: padded, no whitespace, re-encodes to the same text."""
    if not isinstance(text, str):
        raise Violation('not a base64 string')
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError as e:
        raise Violation('bad base64') from e
    if b64(data) != text:
        raise Violation('non-canonical base64')
    return data


def raw_public_key(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def load_public_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """A 65-byte uncompressed P-256 point on the curve, or Violation."""
    if len(raw) != 65 or raw[0] != 0x04:
        raise Violation('public key is not 65 bytes starting with 0x04')
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as e:
        raise Violation('public key not on the curve') from e


def compact(obj) -> str:
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)


def welcome_text(server_public: bytes, salt: bytes, valid_until: int,
                 identity_key: bytes | None = None, signature: bytes | None = None) -> str:
    data = {'v': 2, 'serverPublicKey': b64(server_public), 'salt': b64(salt), 'validUntil': valid_until}
    if identity_key is not None:
        data['identityKey'] = b64(identity_key)
        data['signature'] = b64(signature)
    return compact({'event': 'welcome', 'data': data})


def welcome_signed_bytes(server_public: bytes, salt: bytes, valid_until: int) -> bytes:
    return b'encrypted-socket/v2 welcome\n' + server_public + salt + struct.pack('>Q', valid_until)


def key_schedule(shared: bytes, salt: bytes, welcome: str, client_public: bytes, ecdh_info: str):
    """-> (th, k_c2s, k_s2c) from the ECDH secret, the welcome text as sent and the client key."""
    th = hashlib.sha256(welcome.encode('utf-8') + client_public).digest()

    def key(label: str) -> bytes:
        info = label.encode('utf-8') + b'\x00' + th + ecdh_info.encode('utf-8')
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(shared)

    return th, key('encrypted-socket/v2 c2s'), key('encrypted-socket/v2 s2c')


def nonce(n: int) -> bytes:
    return b'\x00\x00\x00\x00' + struct.pack('>Q', n)


def encode_plaintext(message: dict, attachment: bytes = b'') -> bytes:
    body = compact(message).encode('utf-8')
    return struct.pack('>I', len(body)) + body + attachment


def no_constant(name: str):
    raise ValueError(f'{name} is not JSON')


def decode_plaintext(plaintext: bytes):
    """-> (message, attachment); Violation on any framing rule of §3/§4."""
    if len(plaintext) < 4:
        raise Violation('record shorter than its length prefix')
    (length,) = struct.unpack('>I', plaintext[:4])
    if 4 + length > len(plaintext):
        raise Violation('JSON length runs past the record')
    try:
        message = json.loads(plaintext[4:4 + length].decode('utf-8'), parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise Violation('record JSON is not valid UTF-8 JSON') from e
    if not isinstance(message, dict) or not isinstance(message.get('t'), str):
        raise Violation('message is not an object with a string t')
    attachment = plaintext[4 + length:]
    if message.get('bin') is True:
        if 'data' in message:
            raise Violation('bin:true together with data')
    elif message.get('bin', False) is not False:
        raise Violation('bin is not a boolean')
    elif attachment:
        raise Violation('attachment without bin:true')
    return message, attachment


def seal(key: bytes, n: int, message: dict, attachment: bytes = b'') -> bytes:
    return AESGCM(key).encrypt(nonce(n), encode_plaintext(message, attachment), None)


def open_record(key: bytes, n: int, record: bytes):
    if n >= MAX_RECORDS:
        raise Violation('record counter past 2^32')
    try:
        plaintext = AESGCM(key).decrypt(nonce(n), record, None)
    except InvalidTag as e:
        raise Violation('record does not open') from e
    return decode_plaintext(plaintext)


# ---- The server -------------------------------------------------------------------------

def say(*words) -> None:
    print(*words, flush=True)


def is_int(value, minimum=0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


class Close(Exception):
    def __init__(self, code: int, reason: str = ''):
        super().__init__(reason)
        self.code, self.reason = code, reason


class Connection:
    def __init__(self, ws, conn_id: str, args):
        self.ws, self.id, self.args = ws, conn_id, args
        self.sent = 0          # s2c record counter
        self.received = 0      # c2s record counter
        self.client_seq = 0    # last client seq processed
        self.session_seq = 0   # last session-stream seq sent
        self.rooms: dict[str, int] = {}  # room -> last room-stream seq sent

    async def send(self, message: dict, attachment: bytes = b'') -> None:
        if self.sent >= MAX_RECORDS:
            raise Close(4003, 're-key at the record limit')
        record = seal(self.k_s2c, self.sent, message, attachment)
        self.sent += 1
        await self.ws.send(record)

    async def recv(self, timeout: float):
        try:
            return await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise Close(*((4408, 'no valid auth in time') if self.received == 0
                          else (4007, 'no record within 3 heartbeats'))) from None

    async def recv_record(self, timeout: float):
        frame = await self.recv(timeout)
        if not isinstance(frame, bytes):
            raise Violation('text frame after the hello')
        message, attachment = open_record(self.k_c2s, self.received, frame)
        self.received += 1
        return message, attachment

    async def handshake(self, deadline: float) -> str:
        private = ec.generate_private_key(ec.SECP256R1())
        salt = os.urandom(32)
        welcome = welcome_text(raw_public_key(private.public_key()), salt,
                               int(time.time() * 1000) + 120_000)
        await self.ws.send(welcome)
        frame = await self.recv(deadline - time.monotonic())
        if not isinstance(frame, str):
            raise Violation('binary frame before the hello')
        try:
            hello = json.loads(frame)
        except ValueError as e:
            raise Violation('hello is not JSON') from e
        if not (isinstance(hello, dict) and hello.get('event') == 'hello' and isinstance(hello.get('data'), dict)):
            raise Violation('expected the hello')
        client_public = unb64(hello['data'].get('clientPublicKey'))
        shared = private.exchange(ec.ECDH(), load_public_key(client_public))
        _, self.k_c2s, self.k_s2c = key_schedule(shared, salt, welcome, client_public, self.args.ecdh_info)

        auth, _ = await self.recv_record(deadline - time.monotonic())
        if auth['t'] != 'auth' or not isinstance(auth.get('token'), str):
            raise Violation('record #0 is not an auth')
        token = auth['token']
        if not token.startswith('user:') or len(token) == len('user:'):
            await self.send({'t': 'error', 'code': 'AUTH_FAILED', 'message': 'unknown token'})
            raise Close(1008, 'token refused')
        user = token[len('user:'):]
        # No session outlives its connection here: a resume is never resumable (resumed:false).
        await self.send({'t': 'ready', 'id': self.id, 'userId': user, 'session': 'sess-' + self.id,
                         'resumed': False, 'seq': 0, 'rooms': {}, 'heartbeat': self.args.heartbeat})
        return user

    async def reply(self, head: dict, m: dict, attachment: bytes) -> None:
        """A session-stream message carrying m's payload: its data, or its attachment if binary."""
        self.session_seq += 1
        out = {**head, 'seq': self.session_seq}
        if m.get('bin') is True:
            await self.send({**out, 'bin': True}, attachment)
        else:
            await self.send({**out, **({'data': m['data']} if 'data' in m else {})})

    async def on_msg(self, m: dict, attachment: bytes) -> None:
        if not (isinstance(m.get('event'), str) and is_int(m.get('seq'), 1)):
            raise Violation('msg without a string event and a seq')
        if 'id' in m and not is_int(m['id'], 1) or 'key' in m and not isinstance(m['key'], str):
            raise Violation('msg with a bad id or key')
        seq = m['seq']
        if seq > self.client_seq + 1:
            raise Violation(f'client seq {seq} skips ahead of {self.client_seq}')
        if seq == self.client_seq + 1:
            self.client_seq = seq
            if m['event'] == 'echo':
                await self.reply({'t': 'msg', 'event': 'echo.reply'}, m, attachment)
            if 'id' in m:
                await self.reply({'t': 'res', 'id': m['id']}, m, attachment)
        # A repeat (seq <= last processed) is acknowledged again, not processed again.
        await self.send({'t': 'ack', 'seq': self.client_seq})

    async def serve(self) -> None:
        heartbeat = self.args.heartbeat / 1000
        while True:
            m, attachment = await self.recv_record(3 * heartbeat)
            t = m['t']
            if t == 'msg':
                await self.on_msg(m, attachment)
            elif t == 'ping':
                if not is_int(m.get('n')):
                    raise Violation('ping without an integer n')
                say('PING', self.id, m['n'])
                await self.send({'t': 'pong', 'n': m['n']})
            elif t == 'ack':
                if not is_int(m.get('seq')) or m['seq'] > self.session_seq:
                    raise Violation('ack beyond what was sent')
            elif t in ('join', 'leave'):
                room = m.get('room')
                if not isinstance(room, str) or 'since' in m and not isinstance(m['since'], dict):
                    raise Violation(f'{t} without a string room')
                if t == 'leave':
                    self.rooms.pop(room, None)
                    continue
                self.rooms.setdefault(room, 0)
                await self.send({'t': 'joined', 'room': room, 'epoch': 'e1', 'seq': self.rooms[room]})
                self.rooms[room] += 1
                await self.send({'t': 'msg', 'event': 'room.hello', 'room': room,
                                 'seq': self.rooms[room], 'data': {'room': room}})
            elif t in ('auth', 'ready', 'pong', 'res', 'joined', 'denied', 'error', 'token_ok'):
                raise Violation(f'{t} from the client')
            # Unknown t: ignored (forward compatibility).


connections = itertools.count(1)


async def handle(ws, args) -> None:
    conn = Connection(ws, f'conn-{next(connections)}', args)
    say('CONNECTED', conn.id)
    try:
        deadline = time.monotonic() + args.auth_timeout / 1000
        user = await conn.handshake(deadline)
        say('READY', conn.id, user)
        await conn.serve()
    except Violation as e:
        print(f'{conn.id}: violation: {e}', file=sys.stderr, flush=True)
        await ws.close(4001, 'protocol violation')
    except Close as e:
        await ws.close(e.code, e.reason)
    except websockets.ConnectionClosed:
        pass  # the client went away
    except Exception as e:  # a bug here
        print(f'{conn.id}: {type(e).__name__}: {e}', file=sys.stderr, flush=True)
        await ws.close(1011, 'internal error')
    finally:
        await ws.wait_closed()
        say('CLOSED', conn.id, ws.close_code)


def offers_v2(headers) -> bool:
    offered = [p.strip() for value in headers.get_all('Sec-WebSocket-Protocol') for p in value.split(',')]
    return SUBPROTOCOL in offered


async def main() -> None:
    import functools
    from http import HTTPStatus

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port (printed)')
    parser.add_argument('--ecdh-info', default='encrypted-socket/v1', help="the client's ecdhInfo")
    parser.add_argument('--heartbeat', type=int, default=20000, help='ms, sent in ready')
    parser.add_argument('--auth-timeout', type=int, default=10000, help='ms')
    parser.add_argument('--exit-on-stdin-eof', action='store_true',
                        help='stop when stdin closes (so a test runner that dies takes the peer along)')
    args = parser.parse_args()

    async def refuse_without_v2(path, headers):
        if not offers_v2(headers):
            return HTTPStatus.UPGRADE_REQUIRED, [('Content-Type', 'text/plain')], b'encrypted-socket.v2 required\n'
        return None

    stop = asyncio.get_running_loop().create_future()
    if args.exit_on_stdin_eof:
        def on_stdin():
            if not os.read(sys.stdin.fileno(), 4096) and not stop.done():
                stop.set_result(None)
        asyncio.get_running_loop().add_reader(sys.stdin.fileno(), on_stdin)

    async with websockets.serve(functools.partial(handle, args=args), args.host, args.port,
                                subprotocols=[SUBPROTOCOL], process_request=refuse_without_v2,
                                max_size=MAX_PAYLOAD, ping_interval=None, compression=None) as server:
        say('LISTENING', server.sockets[0].getsockname()[1])
        await stop


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
