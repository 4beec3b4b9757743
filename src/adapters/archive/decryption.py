"""Sealing and opening archived messages as the WeCom finance SDK does (ARCH-1, ADR 0020),
with the `cryptography` package.

Each message has its own random key: 32 letters and digits, wrapped with the tenant's
RSA public key of `publickey_ver` (PKCS#1 v1.5) and sent base64 as
`encrypt_random_key`. The chat JSON is sealed with that key (the SDK's DecryptData
undoes it): AES-256-CBC, the key's 32 bytes as the AES key, its first 16 as the IV,
PKCS#7 padding, base64 as `encrypt_chat_msg`.

RSA is the cost (about 3,000 unwraps a second a core at 2048 bits); OpenSSL runs it
without the GIL, so a batch is opened on a few threads.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import string
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from application.archive.ports import EncryptedChat, KeyPair, OpenedChat
from application.shared.errors import InvalidInput

KEY_BITS = 2048
RANDOM_KEY_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits
_PKCS1 = padding.PKCS1v15()
PARALLEL_FROM = 64  # smaller batches open on the calling thread
LOADED_KEYS = 64  # parsed private keys kept (parsing a PEM costs about a millisecond)

# Why a message would not open (the row stored for it says so).
UNKNOWN_KEY_VERSION = "unknown_key_version"  # no private key of its publickey_ver is kept
WRONG_KEY = "wrong_key"  # the key of that version does not unwrap its random key
CORRUPT = "corrupt"  # not base64, or the sealed text does not decrypt
NOT_JSON = "not_json"  # decrypted, but not the SDK's chat JSON


def random_key() -> bytes:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_KEY_LENGTH)).encode()


def _aes(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def seal(document: Mapping[str, Any], public_key_pem: str, *, key: bytes | None = None) -> tuple[
    str, str
]:  # fmt: skip
    """(`encrypt_random_key`, `encrypt_chat_msg`) of a chat JSON document, as the SDK
    would hand them over (the sandbox and the tests seal with it)."""
    key = key or random_key()
    public = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    padder = block_padding.PKCS7(128).padder()
    plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    encryptor = _aes(key).encryptor()
    sealed = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    return (
        base64.b64encode(public.encrypt(key, _PKCS1)).decode(),
        base64.b64encode(sealed).decode(),
    )


def unwrap_key(private: rsa.RSAPrivateKey, encrypt_random_key: str) -> bytes | None:
    """The random key, or None when this private key does not unwrap it (OpenSSL's
    implicit rejection answers a wrong key with garbage of another length, not an
    error)."""
    try:
        key = private.decrypt(base64.b64decode(encrypt_random_key, validate=True), _PKCS1)
    except (ValueError, binascii.Error):
        return None
    return key if len(key) == RANDOM_KEY_LENGTH else None


def decrypt_data(key: bytes, encrypt_chat_msg: str) -> bytes:
    """The SDK's DecryptData: the chat JSON's bytes (ValueError when it will not)."""
    sealed = base64.b64decode(encrypt_chat_msg, validate=True)
    if not sealed or len(sealed) % 16:
        raise ValueError("sealed text is not whole AES blocks")
    decryptor = _aes(key).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    unpadder = block_padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


class RsaChatCipher:
    """The `ChatCipher`: opens a batch on up to `threads` threads."""

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._loaded: OrderedDict[str, rsa.RSAPrivateKey] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def open(
        self, chats: Sequence[EncryptedChat], private_keys: Mapping[int, str]
    ) -> list[OpenedChat]:
        keys = {version: self._private(pem) for version, pem in private_keys.items()}
        if len(chats) < PARALLEL_FROM or self.threads == 1:
            return [self._open(chat, keys) for chat in chats]
        pool = self._executor()
        chunk = -(-len(chats) // self.threads)
        parts = [chats[i : i + chunk] for i in range(0, len(chats), chunk)]
        done = pool.map(lambda part: [self._open(chat, keys) for chat in part], parts)
        return [opened for part in done for opened in part]

    @staticmethod
    def _open(chat: EncryptedChat, keys: Mapping[int, rsa.RSAPrivateKey | None]) -> OpenedChat:
        private = keys.get(chat.publickey_ver)
        if private is None:
            return OpenedChat(None, UNKNOWN_KEY_VERSION)
        key = unwrap_key(private, chat.encrypt_random_key)
        if key is None:
            return OpenedChat(None, WRONG_KEY)
        try:
            plain = decrypt_data(key, chat.encrypt_chat_msg)
        except (ValueError, binascii.Error):
            return OpenedChat(None, CORRUPT)
        try:
            document = json.loads(plain)
        except ValueError:
            return OpenedChat(None, NOT_JSON)
        if not isinstance(document, dict):
            return OpenedChat(None, NOT_JSON)
        return OpenedChat(document)

    def _private(self, pem: str) -> rsa.RSAPrivateKey | None:
        with self._lock:
            loaded = self._loaded.get(pem)
            if loaded is not None:
                self._loaded.move_to_end(pem)
                return loaded
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            return None  # unusable: its messages are stored as not opened
        if not isinstance(key, rsa.RSAPrivateKey):
            return None
        with self._lock:
            self._loaded[pem] = key
            while len(self._loaded) > LOADED_KEYS:
                self._loaded.popitem(last=False)
        return key

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="archive-rsa")
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)


class RsaKeyMaker:
    """The `KeyMaker`: 2048-bit RSA pairs, PKCS#8 private keys and SubjectPublicKeyInfo
    public keys in PEM (what WeCom's admin takes)."""

    def generate(self) -> KeyPair:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        return KeyPair(_private_pem(private), _public_pem(private))

    def public_key_of(self, private_key_pem: str) -> str:
        try:
            private = serialization.load_pem_private_key(
                private_key_pem.strip().encode(), password=None
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidInput(
                "private_key_pem must be an unencrypted RSA private key in PEM",
                field="private_key_pem",
            ) from None
        if not isinstance(private, rsa.RSAPrivateKey) or private.key_size < KEY_BITS:
            raise InvalidInput(
                f"private_key_pem must be an RSA key of at least {KEY_BITS} bits",
                field="private_key_pem",
            )
        return _public_pem(private)


def _private_pem(private: rsa.RSAPrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(private: rsa.RSAPrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
