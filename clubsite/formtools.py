"""Small helpers shared by the forms of every blueprint."""


def apply_service_error(form, exc):
    """Show a domain error on the field it names, or above the form."""
    field = getattr(form, exc.field, None) if getattr(exc, "field", None) else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)
