import re
from app.extensions import db
from app.models import DictType, DictItem, Department, SystemSetting

def flashes(html):
    return re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)

def test_probe(login, personas, app):
    c = login(personas.admin)
    for url in ["/dicttypeview/list/", "/dicttypeview/add", "/dictitemview/list/", "/dictitemview/add", "/regionview/list/", "/departmentview/list/", "/departmentview/add", "/systemsettingview/list/"]:
        r = c.get(url)
        print(url, r.status_code)
    r = c.post("/dicttypeview/add", data={"code": "trade", "name": "x"}, follow_redirects=True)
    print("DUP", r.status_code, re.findall(r'(该值已存在|Already|完整性|Integrity|UNIQUE)[^<]{0,80}', r.text))
    r = c.post("/dicttypeview/add", data={"code": "Bad-Code", "name": "x"}, follow_redirects=True)
    print("BAD", re.findall(r'类型编码只能[^<]*', r.text))
    t = db.session.query(DictType).filter_by(code="trade").one()
    r = c.post("/dictitemview/add", data={"dict_type": str(t.id), "value": "010", "label": "x", "sort_order": "0"}, follow_redirects=True)
    print("DUPITEM", r.status_code, re.findall(r'alert.{0,400}', r.text, re.S)); open("/tmp/scratch/dupitem.html","w").write(r.text)
    s = db.session.get(SystemSetting, "min_examiners_per_specialty")
    r = c.post("/systemsettingview/edit/min_examiners_per_specialty", data={"value": "abc"}, follow_redirects=True)
    print("SET", r.status_code, re.findall(r'(格式不正确|成功|错误)[^<]{0,100}', r.text))
    r = c.post("/departmentview/add", data={"name": "浙江省住房和城乡建设厅", "region": "330000"}, follow_redirects=True)
    print("DEPT", r.status_code, re.findall(r'(该值已存在|Already|完整性|Integrity|UNIQUE|数据库)[^<]{0,200}', r.text))
    open("/tmp/scratch/dt.html","w").write(c.get("/dicttypeview/show/%d" % t.id).text)
