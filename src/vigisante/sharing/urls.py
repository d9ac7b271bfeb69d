from django.urls import path

from vigisante.sharing import views

app_name = "sharing"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/send/", views.send, name="send"),
]
