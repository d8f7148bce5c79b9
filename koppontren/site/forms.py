"""The base form classes every page uses: WTForms' own messages ("This field is required.", "Not a
valid choice.") in the person's language. WTForms ships no Indonesian catalogue, and ours runs the
other way (Indonesian source, English catalogue), so the Indonesian texts of WTForms' messages live
here and English keeps WTForms' originals."""

from __future__ import annotations

import flask_wtf
import wtforms
from flask import has_request_context
from flask_babel import get_locale

#: WTForms' messages (wtforms/locale/wtforms.pot) in Indonesian; plural forms are the same text.
INDONESIAN = {
    "Invalid field name '%s'.": "Nama isian '%s' tidak sah.",
    "Field must be equal to %(other_name)s.": "Isian harus sama dengan %(other_name)s.",
    "Field must be at least %(min)d character long.": "Isian paling sedikit %(min)d karakter.",
    "Field must be at least %(min)d characters long.": "Isian paling sedikit %(min)d karakter.",
    "Field cannot be longer than %(max)d character.": "Isian paling panjang %(max)d karakter.",
    "Field cannot be longer than %(max)d characters.": "Isian paling panjang %(max)d karakter.",
    "Field must be exactly %(max)d character long.": "Isian harus tepat %(max)d karakter.",
    "Field must be exactly %(max)d characters long.": "Isian harus tepat %(max)d karakter.",
    "Field must be between %(min)d and %(max)d characters long.": "Isian harus %(min)d sampai %(max)d karakter.",
    "Number must be at least %(min)s.": "Angka paling kecil %(min)s.",
    "Number must be at most %(max)s.": "Angka paling besar %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Angka harus antara %(min)s dan %(max)s.",
    "Date must be at least %(min)s.": "Tanggal paling awal %(min)s.",
    "Date must be at most %(max)s.": "Tanggal paling akhir %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Tanggal harus antara %(min)s dan %(max)s.",
    "This field is required.": "Wajib diisi.",
    "Invalid input.": "Isian tidak sah.",
    "Invalid email address.": "Alamat email tidak sah.",
    "Invalid IP address.": "Alamat IP tidak sah.",
    "Invalid Mac address.": "Alamat MAC tidak sah.",
    "Invalid URL.": "URL tidak sah.",
    "Invalid UUID.": "UUID tidak sah.",
    "Invalid value, must be one of: %(values)s.": "Nilai tidak sah; pilih salah satu: %(values)s.",
    "Invalid value, can't be any of: %(values)s.": "Nilai tidak sah; tidak boleh: %(values)s.",
    "This field cannot be edited.": "Isian ini tidak dapat diubah.",
    "This field is disabled and cannot have a value.": "Isian ini nonaktif dan tidak boleh diisi.",
    "Invalid CSRF Token.": "Token CSRF tidak sah; muat ulang halaman lalu kirim lagi.",
    "CSRF token missing.": "Token CSRF tidak ada; muat ulang halaman lalu kirim lagi.",
    "CSRF failed.": "Pemeriksaan CSRF gagal; muat ulang halaman lalu kirim lagi.",
    "CSRF token expired.": "Token CSRF kedaluwarsa; muat ulang halaman lalu kirim lagi.",
    "Invalid Choice: could not coerce.": "Pilihan tidak sah.",
    "Choices cannot be None.": "Pilihan tidak boleh kosong.",
    "Not a valid choice.": "Pilihan tidak sah.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Pilihan tidak sah: satu atau lebih isian tidak dikenal.",
    "'%(value)s' is not a valid choice for this field.": "'%(value)s' bukan pilihan yang sah untuk isian ini.",
    "'%(value)s' are not valid choices for this field.": "'%(value)s' bukan pilihan yang sah untuk isian ini.",
    "Not a valid datetime value.": "Tanggal dan jam tidak sah.",
    "Not a valid date value.": "Tanggal tidak sah (contoh: 2026-12-01).",
    "Not a valid time value.": "Jam tidak sah.",
    "Not a valid week value.": "Minggu tidak sah.",
    "Not a valid integer value.": "Bukan bilangan bulat yang sah.",
    "Not a valid decimal value.": "Bukan angka yang sah.",
    "Not a valid float value.": "Bukan angka yang sah.",
}


class _Translations:
    """What WTForms asks for its messages: Indonesian unless the person chose English."""

    @staticmethod
    def _indonesian() -> bool:
        if not has_request_context():
            return True
        locale = get_locale()
        return locale is None or locale.language == "id"

    def gettext(self, string: str) -> str:
        return INDONESIAN.get(string, string) if self._indonesian() else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


translations = _Translations()


class FlaskForm(flask_wtf.FlaskForm):
    """A page's form (CSRF-protected) whose built-in messages follow the person's language."""

    class Meta:
        def get_translations(self, form):
            return translations


class Form(wtforms.Form):
    """A sub-form or filter form (no CSRF of its own) with the same messages."""

    class Meta:
        def get_translations(self, form):
            return translations
