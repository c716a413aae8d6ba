"""The correction form, built from the fields the staff member may see of this member."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from clubsite.privacy.purposes import FIELDS

EDITABLE = [name for name in FIELDS if name != "card_number"]


class MemberCorrectionForm(FlaskForm):
    """Base class; the fields are added per member by correction_form_for."""

    version = HiddenField()
    field_names = ()


def correction_form_for(view, formdata=None):
    """A form with one input per editable field the staff member may see, filled in."""
    names = [name for name in EDITABLE if name in _used_fields(view)]

    class Form(MemberCorrectionForm):
        pass

    for name in names:
        spec = FIELDS[name]
        setattr(
            Form,
            name,
            StringField(
                spec.label,
                validators=[Length(max=spec.max_length * 2, message=_l("This is too long."))],
                render_kw={"autocomplete": "off", "type": spec.input_type},
            ),
        )
    Form.field_names = tuple(names)
    data = {name: view.values.get(name, "") for name in names}
    data["version"] = view.member.version
    if formdata is not None:
        return Form(formdata=formdata)
    return Form(data=data)


def _used_fields(view):
    return {f for p in view.purposes for f in p.field_list}
