from django.contrib.auth import views as auth_views
from django.urls import path

from vigisante.accounts import invitation_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("profile/", views.profile, name="profile"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("invite/", invitation_views.invite, name="invite"),
    path("invitation/<str:token>/", invitation_views.accept_invitation,
         name="accept_invitation"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/",
         auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/",
         views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/",
         auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password-change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/",
         auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
