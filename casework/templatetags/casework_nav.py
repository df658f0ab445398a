"""`{% main_nav as items %}`: the header menu's links for the signed-in staff member."""

from django import template

from casework.navigation import Link, nav_items

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[dict]:
    """The menu's links, each with `current` set for the page being shown."""
    request = context["request"]
    path = request.path

    def current(item: Link) -> bool:
        target = item.url.split("?", 1)[0]
        return path == target if target == "/" else path.startswith(target)

    return [
        {"url": item.url, "label": item.label, "current": current(item)}
        for item in nav_items(request.user)
    ]
