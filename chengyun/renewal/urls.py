from django.urls import path

from . import problem_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/", views.indicator_sets, name="indicators"),
    path("indicators/<int:set_id>/export.xlsx", views.indicator_set_export, name="indicators_export"),
    path("layers/", views.layers_page, name="layers"),
    path("problems/", problem_views.problems, name="problems"),
    path("problems/new/", problem_views.finding_new, name="finding_new"),
    path("problems/<int:problem_id>/", problem_views.problem_detail, name="problem"),
]

from . import views_portfolio  # noqa: E402 — the portfolio half's pages

urlpatterns += views_portfolio.urlpatterns
