"""Browser test: a drainage handler uploads a node and a pipe table together, reads the row-level
errors, fixes the file, checks and imports."""
import pytest
from browser_support import login, screenshot

from chengyun.drainage.models import Pipe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NODES = "code,kind,lng,lat,ground_m\nN1,manhole,101.706,36.506,2230\nN2,manhole,101.7065,36.506,2230\n"


def csv(name, text):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_upload_nodes_and_pipes_see_errors_then_import(page, live_server, network, make_user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    login(page, live_server, make_user("dept_handler", unit="D02").username)
    page.goto(f"{live_server.url}/drainage/import/")
    bad_pipes = "code,type,diameter_mm,from_node,to_node\nQ1,rain,300,N1,N2\nQ2,rain,300,N2,NOWHERE\n"
    page.set_input_files("input[name=file]", files=[csv("nodes.csv", NODES), csv("pipes.csv", bad_pipes)])
    page.click("button[value=check]")
    page.wait_for_selector("#import-report.failed")
    row = page.inner_text("table.errors tbody tr")
    assert "管段 pipes.csv 第 3 行（code=Q2）" in row and "to_node" in row and "节点 NOWHERE 不存在" in row
    screenshot(page, "drainage-import-errors")
    good_pipes = "code,type,diameter_mm,from_node,to_node\nQ1,rain,300,N1,N2\nQ2,rain,300,N2,R1\n"
    page.set_input_files("input[name=file]", files=[csv("nodes.csv", NODES), csv("pipes.csv", good_pipes)])
    page.click("button[value=check]")
    page.wait_for_selector("#import-report.ok")
    assert "试运行" in page.inner_text("#import-report .summary") and not Pipe.objects.filter(code="Q1").exists()
    page.click("#staged-import button")  # the files just checked, not chosen again
    page.wait_for_selector("#import-report.ok h2:has-text('已导入')")
    screenshot(page, "drainage-import-done")
    assert Pipe.objects.get(code="Q2").to_node.code == "R1" and Pipe.objects.get(code="Q1").owner.code == "D02"
