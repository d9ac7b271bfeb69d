from django.urls import path

from vigisante.accounts.api import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
]
