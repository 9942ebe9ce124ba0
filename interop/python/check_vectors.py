#!/usr/bin/python3
"""Runs v2_server.py's crypto and framing against packages/core/test/vectors/protocol-v2.json.

Exits 0 when every value matches byte for byte and every invalid record fails to open; prints
each mismatch and exits 1 otherwise. Usage: /usr/bin/python3 check_vectors.py [vectors.json]
"""

import base64
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_private_key

import v2_server as v2

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, '..', '..', 'packages', 'core', 'test', 'vectors', 'protocol-v2.json')
failures: list[str] = []
checks = 0


def check(what: str, actual, expected) -> None:
    global checks
    checks += 1
    if actual != expected:
        failures.append(f'{what}: got {actual!r}, expected {expected!r}')


def d(text: str) -> bytes:
    return base64.b64decode(text)


def private_key(pkcs8: str) -> ec.EllipticCurvePrivateKey:
    return load_der_private_key(d(pkcs8), password=None)


def run_case(case: dict) -> None:
    name = case['name']
    client, server = private_key(case['clientPrivateKeyPkcs8']), private_key(case['serverPrivateKeyPkcs8'])
    client_pub, server_pub = d(case['clientPublicKey']), d(case['serverPublicKey'])
    check(f'{name} clientPublicKey', v2.raw_public_key(client.public_key()), client_pub)
    check(f'{name} serverPublicKey', v2.raw_public_key(server.public_key()), server_pub)
    salt = v2.unb64(case['salt'])

    # The welcome and hello texts, rebuilt from their parts.
    welcome = json.loads(case['welcome'])['data']
    identity = signature = None
    if 'identityKey' in welcome:
        identity, signature = v2.unb64(welcome['identityKey']), v2.unb64(welcome['signature'])
    check(f'{name} welcome text',
          v2.welcome_text(server_pub, salt, welcome['validUntil'], identity, signature), case['welcome'])
    check(f'{name} hello text',
          v2.compact({'event': 'hello', 'data': {'clientPublicKey': v2.b64(client_pub)}}), case['hello'])

    if identity is not None:
        signed = v2.welcome_signed_bytes(server_pub, salt, welcome['validUntil'])
        check(f'{name} signedBytes', signed, d(case['signedBytes']))
        check(f'{name} identityKey', v2.raw_public_key(private_key(case['identityPrivateKeyPkcs8']).public_key()), identity)
        der = encode_dss_signature(int.from_bytes(signature[:32], 'big'), int.from_bytes(signature[32:], 'big'))
        try:
            v2.load_public_key(identity).verify(der, signed, ec.ECDSA(hashes.SHA256()))
            check(f'{name} signature verifies', True, True)
        except InvalidSignature:
            check(f'{name} signature verifies', False, True)

    # The key schedule, from both ends: the server's side is what v2_server.py runs.
    s_shared = server.exchange(ec.ECDH(), v2.load_public_key(client_pub))
    c_shared = client.exchange(ec.ECDH(), v2.load_public_key(server_pub))
    check(f'{name} sharedSecret (server side)', s_shared, d(case['sharedSecret']))
    check(f'{name} sharedSecret (client side)', c_shared, d(case['sharedSecret']))
    th, k_c2s, k_s2c = v2.key_schedule(s_shared, salt, case['welcome'], client_pub, case['ecdhInfo'])
    check(f'{name} transcriptHash', th, d(case['transcriptHash']))
    check(f'{name} keyC2S', k_c2s, d(case['keyC2S']))
    check(f'{name} keyS2C', k_s2c, d(case['keyS2C']))
    keys = {'c2s': k_c2s, 's2c': k_s2c, 'keyC2S': k_c2s, 'keyS2C': k_s2c}

    for r in case['records']:
        what = f"{name} {r['direction']} #{r['n']}"
        key, attachment, record = keys[r['direction']], d(r['attachment']), d(r['record'])
        check(f'{what} plaintext', v2.encode_plaintext(r['message'], attachment), d(r['plaintext']))
        check(f'{what} sealed', v2.seal(key, r['n'], r['message'], attachment), record)
        try:
            check(f'{what} opened', v2.open_record(key, r['n'], record), (r['message'], attachment))
        except v2.Violation as e:
            check(f'{what} opens', str(e), 'no violation')

    for bad in case['invalid']:
        try:
            v2.open_record(keys[bad['key']], bad['n'], d(bad['record']))
            check(f"{name} invalid: {bad['why']}", 'opened', 'refused')
        except v2.Violation:
            check(f"{name} invalid: {bad['why']}", 'refused', 'refused')


def run_framing() -> None:
    """The §3 framing rules that no vector covers: each of these must be refused."""
    key = bytes(32)
    cases = {
        'attachment without bin': v2.struct.pack('>I', 9) + b'{"t":"x"}' + b'\x01',
        'bin with data': v2.encode_plaintext({'t': 'msg', 'bin': True, 'data': 1}, b'\x01'),
        'J past the record': v2.struct.pack('>I', 99) + b'{"t":"x"}',
        'not an object': v2.encode_plaintext([1]),  # type: ignore[arg-type]
        't not a string': v2.encode_plaintext({'t': 1}),
        'NaN': v2.struct.pack('>I', 17) + b'{"t":"x","n":NaN}',
    }
    for why, plaintext in cases.items():
        record = v2.AESGCM(key).encrypt(v2.nonce(0), plaintext, None)
        try:
            v2.open_record(key, 0, record)
            check(f'framing: {why}', 'opened', 'refused')
        except v2.Violation:
            check(f'framing: {why}', 'refused', 'refused')


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    with open(path, encoding='utf-8') as f:
        vectors = json.load(f)
    for case in vectors['cases']:
        run_case(case)
    run_framing()
    for failure in failures:
        print('MISMATCH', failure)
    print(f'{checks - len(failures)}/{checks} checks passed ({len(vectors["cases"])} cases)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
