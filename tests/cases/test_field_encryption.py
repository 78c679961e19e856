"""Optional field-level encryption of reporters' phone numbers: off by default; AES-256-GCM or SM4
(with HMAC-SM3) when a key is set; the key rotates; tampering is detected."""
import io

import pytest
from cases_helpers import G1
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from support import grid_center

from chengyun.cases import services
from chengyun.cases.models import Case
from chengyun.core import fieldcrypto
from chengyun.core.models import AuditEntry

pytestmark = pytest.mark.django_db
KEY_A = "00112233445566778899aabbccddeeff" * 2
KEY_B = "ffeeddccbbaa99887766554433221100" * 2
PHONE = "13812341234"


def _raw_phone(case_id: int) -> str:
    with connection.cursor() as c:
        c.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case_id])
        return c.fetchone()[0]


def _report(crew):
    lng, lat = grid_center(G1)
    return services.report(crew["acceptor"], source="hotline", category_code="0113", lng=lng, lat=lat, description="井盖缺失",
                           reporter_name="张三", reporter_phone=PHONE)


def test_sm4_known_answer():
    # GB/T 32907-2016 appendix A.1: key = plaintext = 0123456789abcdeffedcba9876543210.
    from gmssl import sm4

    c = sm4.CryptSM4()
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    c.set_key(key, sm4.SM4_ENCRYPT)
    assert c.crypt_ecb(key)[:16].hex() == "681edf34d206965e86b3e94f536e4246"


def test_off_by_default_phones_are_stored_as_entered(crew):
    assert not fieldcrypto.enabled()
    case = _report(crew)
    assert _raw_phone(case.pk) == PHONE


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4"])
def test_encrypted_at_rest_read_back_masked_on_output_revealed_in_full(cipher, crew, api_client):
    with override_settings(FIELD_KEY=KEY_A, FIELD_CIPHER=cipher):
        case = _report(crew)
        raw = _raw_phone(case.pk)
        assert raw.startswith(f"enc1:{cipher}:") and PHONE not in raw
        assert Case.objects.get(pk=case.pk).reporter_phone == PHONE
        assert _report(crew) and _raw_phone(Case.objects.latest("pk").pk) != raw  # random nonce: equal numbers differ
        body = api_client.as_user(crew["dispatcher"]).get(f"cases/{case.pk}").json()
        assert body["reporter_phone"] == "138****1234"
        assert api_client.post(f"cases/{case.pk}/reporter/reveal", {}).json()["reporter_phone"] == PHONE
        # Tampering with the stored value is detected, not decrypted into something else.
        flipped = raw[:-6] + ("A" if raw[-6] != "A" else "B") + raw[-5:]
        with pytest.raises(fieldcrypto.FieldDecryptError):
            fieldcrypto.decrypt(flipped)
    with pytest.raises(ImproperlyConfigured):  # encrypted data and no key: a configuration error
        Case.objects.get(pk=case.pk)


def test_existing_phones_are_encrypted_and_the_key_rotates(crew):
    plain = _report(crew)
    with override_settings(FIELD_KEY=KEY_A):
        call_command("privacy", "encrypt", stdout=io.StringIO())
        under_a = _raw_phone(plain.pk)
        assert under_a.startswith("enc1:aes-gcm:")
    with override_settings(FIELD_KEY=KEY_B, FIELD_KEY_PREVIOUS=KEY_A):
        assert Case.objects.get(pk=plain.pk).reporter_phone == PHONE  # old values still read
        out = io.StringIO()
        call_command("privacy", "encrypt", stdout=out)
        assert "已加密 1 件" in out.getvalue() and _raw_phone(plain.pk) != under_a
    with override_settings(FIELD_KEY=KEY_B):
        assert Case.objects.get(pk=plain.pk).reporter_phone == PHONE  # now under the new key alone
    with override_settings(FIELD_KEY=KEY_A):
        with pytest.raises(fieldcrypto.FieldDecryptError):
            Case.objects.get(pk=plain.pk)
    assert AuditEntry.objects.filter(verb="encrypt_personal_data").count() == 2


def test_a_bad_key_is_named():
    with override_settings(FIELD_KEY="abc"):
        with pytest.raises(ImproperlyConfigured, match="CHENGYUN_FIELD_KEY"):
            fieldcrypto.encrypt(PHONE)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未设置 CHENGYUN_FIELD_KEY"):
        call_command("privacy", "encrypt")
