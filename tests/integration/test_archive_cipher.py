"""The archive's cipher (ARCH-1, ADR 0020) with keys generated here: a message sealed as
the finance SDK seals it opens to the same chat JSON under its version's private key;
each way a message can fail to open (no key of its version, another key, a corrupt
or cut text, not JSON) is named for that message alone while the rest of the batch
opens, on one thread and on several; imported keys give their public key and bad ones
are refused naming the field."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.archive.decryption import (
    CORRUPT,
    NOT_JSON,
    PARALLEL_FROM,
    UNKNOWN_KEY_VERSION,
    WRONG_KEY,
    RsaChatCipher,
    RsaKeyMaker,
    decrypt_data,
    random_key,
    seal,
)
from application.archive.ports import EncryptedChat
from application.shared.errors import InvalidInput

MAKER = RsaKeyMaker()
OLD, NEW, OTHER = MAKER.generate(), MAKER.generate(), MAKER.generate()


def chat(seq: int, version: int, public_pem: str, **document: object) -> EncryptedChat:
    body = {
        "msgid": f"m{seq}",
        "action": "send",
        "from": "zhangsan",
        "tolist": ["wmCustomer01"],
        "roomid": "",
        "msgtime": 1_767_225_600_000 + seq,
        "msgtype": "text",
        "text": {"content": f"您好，第{seq}条"},
        **document,
    }
    wrapped, sealed = seal(body, public_pem)
    return EncryptedChat(seq, f"m{seq}", version, wrapped, sealed)


def test_a_sealed_message_opens_to_its_chat_json() -> None:
    sealed = chat(1, 2, NEW.public_key_pem)
    [opened] = RsaChatCipher(threads=1).open([sealed], {2: NEW.private_key_pem})
    assert opened.failure == ""
    assert opened.document is not None
    assert opened.document["text"] == {"content": "您好，第1条"}
    assert opened.document["msgtime"] == 1_767_225_600_001


def test_the_cipher_is_aes_256_cbc_with_the_random_key_and_its_first_half_as_iv() -> None:
    """What ADR 0020 says, checked against the primitives directly."""
    key = random_key()
    assert len(key) == 32 and key.isalnum()
    _, sealed = seal({"msgid": "x"}, NEW.public_key_pem, key=key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(sealed)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    assert json.loads(unpadder.update(padded) + unpadder.finalize()) == {"msgid": "x"}
    assert decrypt_data(key, sealed) == b'{"msgid":"x"}'


@pytest.mark.parametrize("threads", [1, 3])
def test_each_failure_is_named_for_its_message_and_the_batch_still_opens(threads: int) -> None:
    good_old = chat(1, 1, OLD.public_key_pem)
    unknown = chat(2, 9, NEW.public_key_pem)  # a version no key is kept for
    wrong = chat(3, 2, OTHER.public_key_pem)  # says version 2, sealed for another key
    corrupt = EncryptedChat(4, "m4", 2, chat(4, 2, NEW.public_key_pem).encrypt_random_key, "!!")
    cut = chat(5, 2, NEW.public_key_pem)
    cut = EncryptedChat(5, "m5", 2, cut.encrypt_random_key, cut.encrypt_chat_msg[:-4])
    key = random_key()
    wrapped, _ = seal({}, NEW.public_key_pem, key=key)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    text = encryptor.update(padder.update("不是 JSON".encode()) + padder.finalize())
    not_json = EncryptedChat(
        6, "m6", 2, wrapped, base64.b64encode(text + encryptor.finalize()).decode()
    )
    good_new = [chat(seq, 2, NEW.public_key_pem) for seq in range(7, 7 + PARALLEL_FROM)]
    batch = [good_old, unknown, wrong, corrupt, cut, not_json, *good_new]

    opened = RsaChatCipher(threads=threads).open(
        batch, {1: OLD.private_key_pem, 2: NEW.private_key_pem}
    )

    failures = [o.failure for o in opened[:6]]
    # OpenSSL's implicit rejection answers a wrong RSA key with made-up bytes; about one
    # time in 250 they are 32 long, and then the AES padding says "corrupt" instead.
    assert failures[2] in (WRONG_KEY, CORRUPT)
    assert failures[:2] + failures[3:] == ["", UNKNOWN_KEY_VERSION, CORRUPT, CORRUPT, NOT_JSON]
    assert [o.document["msgid"] for o in opened if o.document] == [
        "m1",
        *(f"m{seq}" for seq in range(7, 7 + PARALLEL_FROM)),
    ]


def test_an_unusable_kept_key_fails_its_messages_only() -> None:
    sealed = [chat(1, 1, OLD.public_key_pem), chat(2, 2, NEW.public_key_pem)]
    broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    opened = RsaChatCipher(threads=1).open(sealed, {1: broken, 2: NEW.private_key_pem})
    assert [o.failure for o in opened] == [UNKNOWN_KEY_VERSION, ""]


def test_generated_and_imported_keys_give_their_public_key() -> None:
    assert NEW.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert NEW.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert MAKER.public_key_of(NEW.private_key_pem) == NEW.public_key_pem
    # The traditional PKCS#1 form `openssl genrsa` writes is taken too.
    private = serialization.load_pem_private_key(OLD.private_key_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    traditional = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    assert traditional.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert MAKER.public_key_of(traditional) == OLD.public_key_pem
    [opened] = RsaChatCipher(threads=1).open([chat(1, 1, OLD.public_key_pem)], {1: traditional})
    assert opened.failure == ""


def test_a_bad_or_small_imported_key_is_refused_naming_the_field() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    small_pem = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    for text in ("not a key", NEW.public_key_pem, small_pem):
        with pytest.raises(InvalidInput) as refused:
            MAKER.public_key_of(text)
        assert refused.value.field == "private_key_pem"
