"""A page's form refused by its service: the page is shown again (4xx) with the message at the form,
the field named by its label in the reader's language, the entered values kept and nothing stored.

    @login_required
    @pageforms.refusals({"quantity": _("数量"), "kind": _("措施类型")})
    def page(request, ...):
        if request.method == "POST":
            services.do(...)          # raises DomainError with detail={"field": ...}
            return redirect(...)
        return render(...)

The template includes ``core/_form_error.html`` with ``form="<the form's action>"`` (or its hidden
``form`` input, for a form whose buttons are several actions) where the error belongs (``request.form_error``); inputs read their old values from ``request.POST`` (an empty
QueryDict after a GET) and ``request.form_error.input`` marks the one at fault.
"""
from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Any, Callable, Mapping

from django.contrib import messages

from chengyun.core.errors import DomainError, Invalid


def field_of(exc: DomainError) -> str:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    return str(detail.get("field") or "")


def label_for(field: str, labels: Mapping[str, Any]) -> str:
    if not field:
        return ""
    for key in (field, field.split(".")[0], field.split(".")[-1]):
        if key in labels:
            return str(labels[key])
    return ""


def remember(request, exc: DomainError, *, form: str, labels: Mapping[str, Any], input_of: Callable[[str], str] | None = None) -> None:
    field = field_of(exc)
    request.form_error = {"form": form, "field": field, "label": label_for(field, labels), "message": exc.message, "code": exc.code,
                          "input": (input_of(field) if input_of else field.split(".")[-1]) if field else ""}
    messages.error(request, f"{request.form_error['label']}：{exc.message}" if request.form_error["label"] else exc.message)


def refusals(labels: Mapping[str, Any], *, form_field: str = "action", default_form: str = "", input_of: Callable[[str], str] | None = None):
    """Decorate a page whose POST calls a service: a DomainError re-renders the page (GET) with it."""
    def deco(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                if request.method != "POST":
                    raise
                remember(request, exc, form=request.POST.get("form") or request.POST.get(form_field) or default_form, labels=labels, input_of=input_of)
                request.method = "GET"
                response = view(request, *args, **kwargs)
                response.status_code = exc.status if 400 <= exc.status < 500 else 422
                return response
        return wrapper
    return deco


def date(value: Any, field: str, label: Any, *, required: bool = True) -> dt.date | None:
    """A form's date (YYYY-MM-DD) or Invalid naming the field."""
    text = str(value or "").strip()
    if not text:
        if required:
            raise Invalid(f"请填写{label}", code="field_required", detail={"field": field})
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}应为日期（年-月-日）", code="bad_date", detail={"field": field}) from None


def datetime(value: Any, field: str, label: Any) -> dt.datetime:
    """A form's local date and time (``datetime-local``), in the site's time zone, or Invalid naming the field."""
    from django.utils import timezone

    text = str(value or "").strip()
    if not text:
        raise Invalid(f"请填写{label}", code="field_required", detail={"field": field})
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}应为日期和时间", code="bad_datetime", detail={"field": field}) from None
    return timezone.make_aware(t) if timezone.is_naive(t) else t
