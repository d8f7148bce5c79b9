"""Forms of the portal-login actions on the member page and of the login slip."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from koppontren.site.forms import FlaskForm


class CreateLoginForm(FlaskForm):
    login = StringField(_l("Login portal"), validators=[Optional(), Length(max=80)],
                        description=_l("Kosongkan untuk login bawaan."))


class SlipForm(FlaskForm):
    """The slip page sends the login and one-time password back to print them; nothing stores them."""

    login = HiddenField(validators=[DataRequired(), Length(max=80)])
    password = HiddenField(validators=[DataRequired(), Length(max=200)])
