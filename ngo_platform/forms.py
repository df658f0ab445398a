"""Form rendering shared by every page: errors are tied to their fields for screen readers, and
a select's empty choice reads as a word ("— pilih —") instead of Django's "---------"."""

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext as _

DJANGO_BLANK_LABEL = "---------"


class AccessibleBoundField(BoundField):
    """A field with errors points at its error list (`<id>_errors`) with aria-describedby;
    a field with help text points at it (`<id>_help`)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        described = [attrs.get("aria-describedby", "")]
        if self.help_text:
            described.append(f"{self.auto_id}_help")
        if self.errors:
            described.append(f"{self.auto_id}_errors")
        if any(described[1:]):
            attrs["aria-describedby"] = " ".join(part for part in described if part)
        _name_blank_choice(widget or self.field.widget)
        return attrs


def _name_blank_choice(widget) -> None:
    # The widget is this form's own copy (forms deep-copy their fields' widgets).
    choices = getattr(widget, "choices", None)
    if not choices:
        return
    widget.choices = [
        ("", _("— choose —")) if value == "" and label == DJANGO_BLANK_LABEL else (value, label)
        for value, label in choices
    ]


class FormRenderer(DjangoTemplates):
    bound_field_class = AccessibleBoundField
