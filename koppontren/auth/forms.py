"""Forms for login, password change and user management."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from koppontren.auth.models import Role
from koppontren.site.forms import FlaskForm

ROLE_LABELS = {
    Role.ADMIN: _l("Pengurus (admin)"),
    Role.TREASURER: _l("Bendahara"),
    Role.CASHIER: _l("Kasir"),
    Role.AUDITOR: _l("Pengawas / auditor"),
    Role.MEMBER: _l("Anggota"),
    Role.WALI: _l("Wali santri"),
}


def role_choices():
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class LoginForm(FlaskForm):
    login = StringField(_l("Nama login"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Masuk"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired()])
    new_password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Kedua kata sandi tidak sama."))],
    )
    submit = SubmitField(_l("Simpan kata sandi"))


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Konfirmasi"))


class UserActionForm(FlaskForm):
    """The CSRF token of the unlock and reset buttons on the users page."""


class AddUserForm(FlaskForm):
    login = StringField(_l("Nama login"), validators=[DataRequired(), Length(min=3, max=80)])
    name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Kata sandi awal"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Peran"), choices=role_choices, validators=[DataRequired()])
    submit = SubmitField(_l("Tambah pengguna"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Peran"), choices=role_choices, validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(_l("Nama token (mis. mesin kasir 1)"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Buat token"))
