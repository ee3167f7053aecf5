import re, html as H
from app.extensions import db
from app.models import DictType, DictItem, Department, SystemSetting

def english(s):
    s=re.sub(r'<script.*?</script>','',s,flags=re.S)
    s=re.sub(r'<style.*?</style>','',s,flags=re.S)
    attrs=re.findall(r'(?:title|placeholder|alt|aria-label|value)="([^"]*[A-Za-z][^"]*)"',s)
    t=H.unescape(re.sub(r'<[^>]+>',' ',s))
    return sorted(set(w.strip() for w in re.findall(r'[A-Za-z][A-Za-z .]{1,}',t))), sorted(set(attrs))[:30]

def test_probe(login, personas, app):
    c = login(personas.admin)
    t = db.session.query(DictType).filter_by(code="trade").one()
    it = t.items[0]
    d = personas.city_dept
    for url in ["/dicttypeview/list/", "/dicttypeview/add", "/dicttypeview/show/%d" % t.id, "/dicttypeview/edit/%d" % t.id,
                "/dictitemview/list/", "/dictitemview/add", "/dictitemview/edit/%d" % it.id, "/dictitemview/show/%d" % it.id,
                "/regionview/list/", "/regionview/add", "/regionview/edit/330106", "/regionview/show/330106",
                "/departmentview/list/", "/departmentview/add", "/departmentview/edit/%d" % d.id, "/departmentview/show/%d" % d.id,
                "/systemsettingview/list/", "/systemsettingview/edit/min_examiners_per_specialty", "/systemsettingview/show/min_examiners_per_specialty"]:
        r = c.get(url)
        print(url, r.status_code, english(r.text))
