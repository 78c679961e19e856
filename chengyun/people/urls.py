from django.urls import path

from . import account_views, security_views, views

urlpatterns = [
    path("", views.people, name="list"),
    path("audit/", views.audit, name="audit"),
    path("audit/export", views.audit_export, name="audit_export"),
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("account/mfa/enrol/", account_views.mfa_enrol, name="mfa_enrol"),
    path("account/mfa/verify/", account_views.mfa_verify, name="mfa_verify"),
    path("account/sessions/<int:pk>/revoke", account_views.session_revoke, name="session_revoke"),
    path("security/", security_views.security_admin, name="security"),
    path("security/locks/<int:pk>/unlock", security_views.unlock, name="unlock"),
    path("security/users/<str:username>/sessions/revoke", security_views.revoke_user_sessions, name="revoke_user_sessions"),
    path("security/users/<str:username>/mfa/reset", security_views.reset_mfa, name="reset_mfa"),
]
