"""Optional field-level encryption of personal data at rest (off unless CHENGYUN_FIELD_KEY is set).

Where a district's 密评 (GB/T 39786-2021) asks for commercial cryptography, set
CHENGYUN_FIELD_CIPHER=sm4: SM4-CBC (GB/T 32907-2016, gmssl) with encrypt-then-MAC by HMAC-SM3
(GB/T 32905-2016). Otherwise AES-256-GCM (cryptography). The key is 32 bytes as 64 hex digits
from the environment only (SM4 uses its first half to encrypt and its second half for the MAC).
CHENGYUN_FIELD_KEY_PREVIOUS lets values written under the old key still be read while
`chengyun privacy encrypt` re-encrypts them under the new one.

A stored value reads ``enc1:<cipher>:<base64>``; anything else is plaintext (written before
encryption was enabled) and is returned as it is. The nonce is random, so equal numbers do not
look equal: an encrypted field can be read and written but not searched by value.
"""
from __future__ import annotations

import base64
import hmac
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models

PREFIX = "enc1"
_AAD = b"chengyun-field-v1"


class FieldDecryptError(ValueError):
    pass


def _parse_key(value: str, name: str) -> bytes | None:
    if not value:
        return None
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} 应为 64 位十六进制（32 字节）密钥") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} 应为 64 位十六进制（32 字节）密钥，现为 {len(key)} 字节")
    return key


def current_key() -> bytes | None:
    return _parse_key(getattr(settings, "FIELD_KEY", ""), "CHENGYUN_FIELD_KEY")


def enabled() -> bool:
    return current_key() is not None


def cipher() -> str:
    name = getattr(settings, "FIELD_CIPHER", "aes-gcm")
    if name not in ("aes-gcm", "sm4"):
        raise ImproperlyConfigured("CHENGYUN_FIELD_CIPHER 应为 aes-gcm 或 sm4")
    return name


# ---------------------------------------------------------------- SM4-CBC + HMAC-SM3


def _sm3(data: bytes) -> bytes:
    from gmssl import func, sm3

    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) over SM3: block 64 bytes, digest 32."""
    if len(key) > 64:
        key = _sm3(key)
    key = key.ljust(64, b"\0")
    inner = _sm3(bytes(k ^ 0x36 for k in key) + data)
    return _sm3(bytes(k ^ 0x5C for k in key) + inner)


def _sm4(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    from gmssl import sm4

    c = sm4.CryptSM4()
    c.set_key(key, sm4.SM4_ENCRYPT if encrypt else sm4.SM4_DECRYPT)
    return c.crypt_cbc(iv, data)


def _seal(name: str, key: bytes, plain: bytes) -> bytes:
    if name == "sm4":
        iv = os.urandom(16)
        body = iv + _sm4(key[:16], iv, plain, True)
        return body + hmac_sm3(key[16:], _AAD + body)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plain, _AAD)


def _open(name: str, key: bytes, blob: bytes) -> bytes:
    if name == "sm4":
        body, mac = blob[:-32], blob[-32:]
        if len(body) < 32 or not hmac.compare_digest(mac, hmac_sm3(key[16:], _AAD + body)):
            raise FieldDecryptError("密文校验失败")
        return _sm4(key[:16], body[:16], body[16:], False)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], _AAD)
    except (InvalidTag, ValueError):
        raise FieldDecryptError("密文校验失败") from None


def encrypt(text: str | None) -> str | None:
    key = current_key()
    if not text or key is None or text.startswith(PREFIX + ":"):
        return text
    name = cipher()
    return f"{PREFIX}:{name}:" + base64.b64encode(_seal(name, key, text.encode())).decode()


def decrypt(value: str | None) -> str | None:
    if not value or not value.startswith(PREFIX + ":"):
        return value
    try:
        _prefix, name, data = value.split(":", 2)
        blob = base64.b64decode(data, validate=True)
    except ValueError:
        raise FieldDecryptError("密文格式有误") from None
    keys = [k for k in (current_key(), _parse_key(getattr(settings, "FIELD_KEY_PREVIOUS", ""), "CHENGYUN_FIELD_KEY_PREVIOUS")) if k]
    if not keys:
        raise ImproperlyConfigured("数据已加密，但未设置 CHENGYUN_FIELD_KEY")
    for key in keys:
        try:
            return _open(name, key, blob).decode()
        except FieldDecryptError:
            continue
    raise FieldDecryptError("无法解密：密钥不符或密文被篡改")


class EncryptedCharField(models.CharField):
    """A CharField stored encrypted when CHENGYUN_FIELD_KEY is set. ``max_length`` is the
    column (room for the ciphertext); ``plain_max_length`` limits what the user enters."""

    def __init__(self, *args, plain_max_length: int | None = None, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)
        self.plain_max_length = plain_max_length
        if plain_max_length:
            self.validators[:] = [v for v in self.validators if not isinstance(v, MaxLengthValidator)] + [MaxLengthValidator(plain_max_length)]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.plain_max_length:
            kwargs["plain_max_length"] = self.plain_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def get_prep_value(self, value):
        return encrypt(super().get_prep_value(value))
