"""Pages of the observatory (the JSON API lives in api_urls.py)."""

from django.urls import path

from vigisante.observatory import views

app_name = "observatory"
urlpatterns = [
    path("", views.index, name="index"),
    path("figures.json", views.figures, name="figures"),
    path("report.pdf", views.pdf, name="pdf"),
    path("tables.zip", views.tables_zip, name="tables_zip"),
    path("tables/<slug:table_id>.csv", views.table_csv, name="table_csv"),
]
