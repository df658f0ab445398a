"""Form rendering shared by every page: errors are tied to their fields for screen readers."""

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates


class AccessibleBoundField(BoundField):
    """A field with errors points at its error list (`<id>_errors`) with aria-describedby."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            described = attrs.get("aria-describedby", "")
            attrs["aria-describedby"] = f"{described} {self.auto_id}_errors".strip()
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = AccessibleBoundField
