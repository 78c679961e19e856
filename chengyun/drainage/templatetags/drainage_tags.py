from django import template

from chengyun.people import policy

register = template.Library()


@register.filter
def can_import_network(user) -> bool:
    """Whether the sub-menu offers 数据导入: only to those the import page lets in."""
    from chengyun.drainage.views import IMPORTERS

    return user.is_authenticated and policy.principal(user).has(IMPORTERS)
