import pytest, json
from test_observatory_data import build
from vigisante.observatory import services, domain, render
from django.utils import translation

@pytest.mark.django_db
def test_smoke(tmp_path, django_assert_max_num_queries):
    build()
    with translation.override("fr"):
        r = services.build_report(domain.Period.year(2023))
        print(render.figures_json(r)[:3000])
        render.write_report(r, tmp_path/"out")
        rp = services.build_report(domain.Period.year(2023), public=True)
        render.write_report(rp, tmp_path/"pub")
    import shutil; shutil.rmtree("/tmp/h7out", ignore_errors=True); shutil.copytree(tmp_path, "/tmp/h7out")
