import pytest


@pytest.fixture
def client_user(api_client, make_user):
    return api_client.as_user(make_user("ops_acceptor"))


def test_classify_river(client_user):
    r = client_user.post("water/classify", {"values": {"pH": 7.2, "DO": 6.5, "COD": 18, "NH3N": 0.4, "TP": 0.1}, "water_body": "river"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["water_class"], body["label"], body["limiting"]) == (3, "Ⅲ", ["COD"])
    assert body["factor_classes"]["TP"] == 2


def test_classify_lake_uses_lake_tp_and_tn(client_user):
    r = client_user.post("water/classify", {"values": {"TP": 0.1, "TN": 0.4}, "water_body": "lake"})
    body = r.json()
    assert body["water_class"] == 4 and body["limiting"] == ["TP"]
    river = client_user.post("water/classify", {"values": {"TP": 0.1, "TN": 0.4}, "water_body": "river"}).json()
    # TN does not judge a river; TP 0.1 is class Ⅱ for rivers.
    assert river["water_class"] == 2 and river["ignored"] == ["TN"]


def test_classify_hj212_codes_and_exceedance(client_user):
    # w21003 ammonia 3.0 mg/L: 劣Ⅴ, (3.0 − 1.0)/1.0 = 2.0 times over class Ⅲ.
    body = client_user.post("water/classify", {"values": {"w21003": "3.0", "w01018": 12}}).json()
    assert body["label"] == "劣Ⅴ" and body["exceedance"] == {"NH3N": 2.0}


@pytest.mark.parametrize("payload,code,fragment", [
    ({"values": {"XYZ": 1}}, "unknown_factor", "未知的水质因子：XYZ"),
    ({"values": {"COD": "abc"}}, "invalid_value", "COD"),
    ({"values": {"COD": -3}}, "invalid_value", "COD"),
    ({"values": {"COD": 10}, "water_body": "sea"}, "invalid_water_body", "水体类型"),
    ({"values": {}}, "no_values", "至少"),
    ({"values": {"COD": 10, "w01018": 11}}, "duplicate_factor", "重复"),
    ({"values": {"TN": 1.0}}, "no_classifiable_factor", "均不参与河流"),
])
def test_classify_errors_are_chinese_422(client_user, payload, code, fragment):
    r = client_user.post("water/classify", payload)
    assert r.status_code == 422
    assert r.json()["code"] == code and fragment in r.json()["message"]


def test_classify_unparseable_body_is_a_chinese_400(client, make_user):
    client.force_login(make_user("ops_acceptor"))
    r = client.post("/api/v1/water/classify", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["code"] == "bad_request" and "JSON" in r.json()["message"] and "请求" in r.json()["message"]


def test_classify_requires_login(client):
    assert client.post("/api/v1/water/classify", {"values": {"COD": 1}}, content_type="application/json").status_code == 401
