from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("problems/", views.problems, name="problems"),
]

from . import views_portfolio  # noqa: E402 — the portfolio half's pages

urlpatterns += views_portfolio.urlpatterns
