from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from chengyun.api import api
from chengyun.core import views as core_views
from chengyun.core.registry import page_urlconfs, root_urlconfs
from chengyun.notifications import views as inbox_views
from chengyun.people import account_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("notifications/", inbox_views.inbox, name="notifications"),
    path("notifications/<int:pk>/read", inbox_views.read, name="notification_read"),
    path("notifications/read-all", inbox_views.read_all, name="notification_read_all"),
    path("notifications/preferences", inbox_views.preferences, name="notification_preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
]

# Each domain app with pages declares url_prefix in its AppConfig (chengyun.core.registry).
for prefix, urlconf, namespace in page_urlconfs():
    urlpatterns.append(path(f"{prefix}/", include((urlconf, namespace))))
for urlconf in root_urlconfs():
    urlpatterns.append(path("", include(urlconf)))
