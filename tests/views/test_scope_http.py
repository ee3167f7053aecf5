from tests import factories

def test_probe(personas, login):
    p = personas
    plan = factories.training_plan(p.inst_a, state="submitted", owner=p.inst_a_user, reviewer=p.city)
    plan_b = factories.training_plan(p.inst_b, state="submitted", owner=p.inst_b_user, reviewer=p.other_city)
    c = login(p.city)
    for url in ["/api/v1/trainingplan/", "/api/v1/trainingplan/%d" % plan.id, "/api/v1/trainingplan/%d" % plan_b.id,
                "/api/v1/trainingplan/_info", "/api/v1/enrollment/_info", "/api/v1/enterprise/?q=(page_size:-1)"]:
        r = c.get(url)
        print(url, r.status_code, r.get_data(as_text=True)[:1500])
    r = c.open("/api/v1/trainingplan/%d" % plan_b.id, method="DELETE"); print(r.status_code, r.text[:200])
    r = c.open(method="PUT", path="/api/v1/trainingplan/%d" % plan.id, json={"name": "x"}); print(r.status_code, r.text[:200])
    r = p.ent_a  # noqa
    c2 = login(p.ent_a_user)
    print(c2.get("/api/v1/trainingplan/").status_code)
    print(c2.get("/api/v1/enrollment/").status_code, c2.get("/api/v1/enrollment/").text[:300])
    import flask
    c3 = flask.current_app.test_client()
    r = c3.get("/api/v1/enrollment/"); print(r.status_code, r.text[:200])
