"""The reference dataset of SPEC §12, generated in memory as plain tuples (no ORM).

1,000,000 enrollments, 300,000 workers, 50,000 enterprises, 500 institutions, 20,000 training plans at
scale 1.0, plus what the process produces from them: exam plans, candidates with 准考证号, scores, score
reports and certificates, so that every progress status of SPEC §7 occurs. Deterministic for a seed.

Each table is a (columns, rows) pair; ids are assigned here, so the loaders can COPY/executemany them
in dependency order and reset the sequences afterwards. Denormalised enrollment columns (names, region
codes, statuses) are filled exactly as the services keep them.
"""
import csv
import datetime
import os
import random
from collections import defaultdict

from app.validators import id_check_char, uscc_check_char

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_DATA = os.path.join(HERE, os.pardir, "app", "seed_data")

REFERENCE = {"enrollments": 1_000_000, "workers": 300_000, "enterprises": 50_000, "institutions": 500,
             "plans": 20_000}

# Share of enterprises/institutions per city (roughly by construction activity).
CITY_WEIGHTS = {"330100": 20, "330200": 15, "330300": 14, "330400": 8, "330500": 5, "330600": 9,
                "330700": 10, "330800": 3, "330900": 2, "331000": 10, "331100": 4}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
            "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_CHARS = "伟芳娜敏静强磊军洋勇艳杰涛明超秀英华慧建国志平海燕晓东春红丽兵林鹏辉刚玉萍桂梅宇浩凯文斌亮飞波宁雪琴云龙祥德成福"
BRAND_CHARS = "恒达宏远鑫盛华建中天永信金利新安泰诚东方广源顺通聚力隆兴荣昌正合嘉禾瑞丰博创元"
INDUSTRY = ("建设集团有限公司", "建筑工程有限公司", "建工有限公司", "建筑劳务有限公司", "装饰工程有限公司",
            "市政工程有限公司", "安装工程有限公司", "园林建设有限公司")
COMMON_TRADES = ("010", "020", "030", "040", "050", "060", "070", "080", "090", "100", "110", "120", "130",
                 "140", "150", "160", "170", "180", "190", "200", "210", "220", "230", "240", "250", "260",
                 "270", "280")
LEVELS = (("5", "五级"), ("4", "四级"), ("3", "三级"))
START = datetime.date(2023, 1, 1)


def _csv(name):
    with open(os.path.join(SEED_DATA, name), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Table:
    """Rows of one table with their column names; `next_id` for tables whose ids we assign."""

    def __init__(self, name, columns):
        self.name, self.columns, self.rows = name, columns, []

    def add(self, *values):
        self.rows.append(values)
        return len(self.rows)


def generate(scale=1.0, seed=20261129, today=None, department_ids=None):
    """Build every table; department_ids maps region code → department id (cities must be there)."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    now = datetime.datetime.combine(today, datetime.time(9, 0))
    size = {key: max(1, int(round(value * scale))) for key, value in REFERENCE.items()}
    regions = _csv("zj_regions.csv")
    names = {r["code"]: r["name"] for r in regions}
    counties_of = defaultdict(list)
    for r in regions:
        if r["level"] == "county":
            counties_of[r["parent_code"]].append(r["code"])
    trades = {r["code"]: r["name"] for r in _csv("trades.csv")}
    trade_codes = [c for c in COMMON_TRADES if c in trades]
    cities = list(CITY_WEIGHTS)
    city_weights = [CITY_WEIGHTS[c] for c in cities]
    city_seq = {code: index + 1 for index, code in enumerate(sorted(cities))}
    department_ids = department_ids or {}

    def county_in(city):
        return rng.choice(counties_of[city])

    tables = {}

    # --- enterprises ---------------------------------------------------------------------------
    enterprise = tables["enterprise"] = Table("enterprise", [
        "id", "name", "uscc", "region_code", "address", "legal_representative", "contact_person",
        "contact_mobile", "qualification_category", "qualification_grade", "qualification_cert_no",
        "review_state", "review_version", "submitted_at", "accepted_at", "reviewed_at", "created_at", "updated_at"])
    ent_region, ent_name = [None], [None]
    ents_of_city = defaultdict(list)
    for i in range(1, size["enterprises"] + 1):
        city = rng.choices(cities, city_weights)[0]
        county = county_in(city)
        name = "%s%s%s%s" % (names[city][:2], rng.choice(BRAND_CHARS), rng.choice(BRAND_CHARS), rng.choice(INDUSTRY))
        first17 = "91%s%010d" % (county[:5], i)
        uscc = first17 + uscc_check_char(first17)
        state = rng.choices(("approved", "submitted", "accepted", "rejected", "draft"), (86, 5, 3, 4, 2))[0]
        created = now - datetime.timedelta(days=rng.randint(30, 1400))
        submitted = created + datetime.timedelta(hours=1) if state != "draft" else None
        reviewed = created + datetime.timedelta(days=rng.randint(1, 9)) if state in ("approved", "rejected") else None
        enterprise.add(i, name, uscc, county, "%s某路%d号" % (names[county], rng.randint(1, 999)),
                       _person(rng), _person(rng), _mobile(rng), rng.choice(("general", "specialty", "labour")),
                       rng.choice(("一级", "二级", "三级")), "D2%08d" % i, state, 3 if reviewed else 1,
                       submitted, submitted if state in ("accepted", "approved", "rejected") else None, reviewed,
                       created, reviewed or created)
        ent_region.append(county)
        ent_name.append(name)
        ents_of_city[city].append(i)

    # --- workers -------------------------------------------------------------------------------
    worker = tables["worker"] = Table("worker", [
        "id", "id_number", "name", "gender", "birth_date", "mobile", "education", "enterprise_id",
        "created_at", "updated_at"])
    seen_ids, seen_mobiles = set(), set()
    workers_of_city = defaultdict(list)
    w_name, w_idn, w_mobile, w_ent = [None], [None], [None], [None]
    for i in range(1, size["workers"] + 1):
        city = rng.choices(cities, city_weights)[0]
        ent = rng.choice(ents_of_city[city])
        while True:
            birth = datetime.date(rng.randint(1962, 2006), rng.randint(1, 12), rng.randint(1, 28))
            first17 = "%s%s%03d" % (rng.choice(counties_of[rng.choice(cities)]), birth.strftime("%Y%m%d"),
                                    rng.randint(1, 999))
            id_number = first17 + id_check_char(first17)
            if id_number not in seen_ids:
                seen_ids.add(id_number)
                break
        while True:
            mobile = _mobile(rng)
            if mobile not in seen_mobiles:
                seen_mobiles.add(mobile)
                break
        name = _person(rng)
        created = now - datetime.timedelta(days=rng.randint(1, 1400))
        worker.add(i, id_number, name, "男" if int(id_number[16]) % 2 else "女", birth, mobile,
                   rng.choice(("primary", "junior", "senior", "college")), ent, created, created)
        workers_of_city[city].append(i)
        w_name.append(name)
        w_idn.append(id_number)
        w_mobile.append(mobile)
        w_ent.append(ent)
    del seen_ids, seen_mobiles
    all_workers = range(1, size["workers"] + 1)

    # --- institutions ---------------------------------------------------------------------------
    institution = tables["institution"] = Table("institution", [
        "id", "code", "name", "uscc", "institution_type", "region_code", "address", "legal_representative",
        "contact_person", "contact_phone", "department_id", "status", "cancel_reason", "cancelled_at",
        "created_at", "updated_at"])
    inst_region, inst_name, inst_code, inst_city = [None], [None], [None], [None]
    serial_of_city = defaultdict(int)
    for i in range(1, size["institutions"] + 1):
        city = rng.choices(cities, city_weights)[0]
        county = county_in(city)
        serial_of_city[city] += 1
        code = "33%02d%03d" % (city_seq[city], serial_of_city[city])
        name = "%s%s%s建筑职业技能培训%s" % (names[city][:2], names[county][:2], rng.choice(BRAND_CHARS),
                                      rng.choice(("学校", "中心")))
        first17 = "52%s%010d" % (county[:5], i)
        cancelled = rng.random() < 0.04
        created = now - datetime.timedelta(days=rng.randint(1000, 1500))
        institution.add(i, code, name, first17 + uscc_check_char(first17),
                        rng.choice(("social_exam", "enterprise_exam", "social")), county,
                        "%s培训路%d号" % (names[county], i), _person(rng), "教务处", "0571-8%07d" % i,
                        department_ids.get(city), "cancelled" if cancelled else "active",
                        "考核过程中存在违规行为" if cancelled else None,
                        now - datetime.timedelta(days=20) if cancelled else None, created, created)
        inst_region.append(county)
        inst_name.append(name)
        inst_code.append(code)
        inst_city.append(city)

    # --- plans, enrollments, exam plans, candidates, scores, reports, certificates ----------------
    plan = tables["training_plan"] = Table("training_plan", [
        "id", "institution_id", "name", "trade_code", "skill_level", "training_type", "capacity", "fee", "hours",
        "enroll_start", "enroll_end", "train_start", "train_end", "location", "contact_person", "contact_phone",
        "class_opened_at", "attendance_confirmed_at", "review_state", "review_version", "review_opinion",
        "submitted_at", "accepted_at", "reviewed_at", "created_at", "updated_at"])
    enrollment = tables["enrollment"] = Table("enrollment", [
        "id", "plan_id", "worker_id", "enterprise_id", "institution_id", "exam_plan_id", "inst_region_code",
        "ent_region_code", "worker_name", "id_number", "mobile", "enterprise_name", "institution_name",
        "plan_name", "exam_plan_name", "exam_status", "score_status", "cert_status", "enrolled_at",
        "paid_amount", "paid_at", "receipt_no", "in_class", "attended_hours", "attendance_rate",
        "attendance_result", "attendance_confirmed_at", "cancelled_at", "cancel_reason", "created_at", "updated_at"])
    exam = tables["exam_plan"] = Table("exam_plan", [
        "id", "institution_id", "plan_id", "name", "year", "serial", "theory_start", "theory_end",
        "practical_start", "practical_end", "site_address", "rooms", "seats_per_room", "pass_line",
        "review_state", "review_version", "submitted_at", "accepted_at", "reviewed_at", "created_at", "updated_at"])
    candidate = tables["exam_candidate"] = Table("exam_candidate", [
        "id", "exam_plan_id", "enrollment_id", "ticket_no", "room_no", "seat_no", "removed"])
    score = tables["score"] = Table("score", [
        "id", "exam_plan_id", "enrollment_id", "theory_score", "practical_score", "absent", "remark", "passed",
        "created_at", "updated_at"])
    report = tables["score_report"] = Table("score_report", [
        "id", "exam_plan_id", "institution_id", "imported_at", "review_state", "review_version",
        "submitted_at", "accepted_at", "reviewed_at", "created_at", "updated_at"])
    certificate = tables["certificate"] = Table("certificate", [
        "id", "number", "worker_id", "enrollment_id", "exam_plan_id", "institution_id", "inst_region_code",
        "ent_region_code", "worker_name", "trade_code", "skill_level", "issue_date", "valid_until", "status", "pulled_at",
        "push_attempts", "pushed_at", "revoked", "created_at", "updated_at"])
    sequence = tables["certificate_sequence"] = Table("certificate_sequence", [
        "year", "institution_code", "trade_code", "last_serial"])

    plans_per_inst = size["plans"] / size["institutions"]
    approved_share = 0.92
    span_days = (today - START).days
    per_plan = 1.03 * size["enrollments"] / (size["plans"] * approved_share * span_days / (span_days + 20))
    exam_serial = defaultdict(int)
    cert_serial = defaultdict(int)
    span = (today - START).days
    enroll_budget = size["enrollments"]
    plan_id = 0
    for inst in range(1, size["institutions"] + 1):
        count = int(plans_per_inst) + (1 if rng.random() < plans_per_inst % 1 else 0)
        for _ in range(count):
            if plan_id >= size["plans"]:
                break
            plan_id += 1
            trade = rng.choice(trade_codes)
            level, level_name = rng.choices(LEVELS, (70, 25, 5))[0]
            enroll_start = START + datetime.timedelta(days=rng.randint(0, span + 20))
            enroll_end = enroll_start + datetime.timedelta(days=rng.randint(14, 30))
            train_start = enroll_end + datetime.timedelta(days=1)
            train_end = train_start + datetime.timedelta(days=rng.randint(10, 25))
            if enroll_start > today:
                state = rng.choice(("draft", "submitted", "accepted", "approved"))
            else:
                state = rng.choices(("approved", "draft", "submitted", "accepted", "rejected"), (92, 2, 2, 1, 3))[0]
            name = "%d年第%d期%s（%s）培训" % (enroll_start.year, plan_id % 97 + 1, trades[trade], level_name)
            created = datetime.datetime.combine(enroll_start, datetime.time(8)) - datetime.timedelta(days=10)
            submitted = created + datetime.timedelta(days=1) if state != "draft" else None
            reviewed = created + datetime.timedelta(days=3) if state in ("approved", "rejected") else None
            finished = state == "approved" and enroll_end < today
            opened = datetime.datetime.combine(train_start, datetime.time(9)) if finished else None
            confirmed = datetime.datetime.combine(train_end, datetime.time(17)) if train_end < today and finished else None
            plan.add(plan_id, inst, name, trade, level, rng.choice(("initial", "initial", "retrain")),
                     rng.choice((40, 60, 80, 100)), rng.choice((800, 1000, 1200)), 64,
                     enroll_start, enroll_end, train_start, train_end, "%s实训基地" % names[inst_region[inst]],
                     "张老师", "0571-88110001", opened, confirmed, state, 3 if reviewed else (1 if submitted else 0),
                     "培训学时不足" if state == "rejected" else None, submitted,
                     submitted if state in ("accepted", "approved", "rejected") else None, reviewed, created,
                     reviewed or created)
            if state != "approved" or enroll_start > today or enroll_budget <= 0:
                continue
            # Enrollments: mostly workers of the institution's city, some from anywhere.
            n = min(enroll_budget, max(1, int(rng.gauss(per_plan, per_plan * 0.25))))
            enroll_budget -= n
            local = workers_of_city[inst_city[inst]]
            chosen = set()
            while len(chosen) < n:
                pool = local if (rng.random() < 0.75 and local) else all_workers
                chosen.add(pool[rng.randrange(len(pool))])
            # The exam plan of a finished plan.
            exam_id, exam_state, exam_name, exam_at = None, None, None, None
            if confirmed is not None and train_end + datetime.timedelta(days=7) < today:
                exam_state = rng.choices(("approved", "draft", "submitted", "accepted"), (85, 5, 5, 5))[0]
                exam_at = datetime.datetime.combine(train_end + datetime.timedelta(days=7), datetime.time(9))
                year = exam_at.year
                exam_serial[(inst, year)] += 1
                exam_name = name.replace("培训", "考核")
                exam_id = exam.add(len(exam.rows) + 1, inst, plan_id, exam_name, year, exam_serial[(inst, year)],
                                   exam_at, exam_at + datetime.timedelta(hours=2),
                                   exam_at + datetime.timedelta(days=1),
                                   exam_at + datetime.timedelta(days=1, hours=4), "%s考点" % names[inst_region[inst]],
                                   (n + 29) // 30, 30, 60, exam_state, 3 if exam_state == "approved" else 1,
                                   exam_at - datetime.timedelta(days=6), exam_at - datetime.timedelta(days=5)
                                   if exam_state in ("accepted", "approved") else None,
                                   exam_at - datetime.timedelta(days=4) if exam_state == "approved" else None,
                                   exam_at - datetime.timedelta(days=7), exam_at - datetime.timedelta(days=4))
            report_state = None
            if exam_state == "approved" and exam_at + datetime.timedelta(days=10) < now:
                report_state = rng.choices(("approved", "draft", "accepted", "rejected"), (82, 6, 6, 6))[0]
                reviewed_at = exam_at + datetime.timedelta(days=10)
                report.add(len(report.rows) + 1, exam_id, inst, exam_at + datetime.timedelta(days=3), report_state,
                           3 if report_state in ("approved", "rejected") else (2 if report_state == "accepted" else 0),
                           exam_at + datetime.timedelta(days=4) if report_state != "draft" else None,
                           exam_at + datetime.timedelta(days=5) if report_state != "draft" else None,
                           reviewed_at if report_state in ("approved", "rejected") else None,
                           exam_at + datetime.timedelta(days=3), exam_at + datetime.timedelta(days=3))
            seat = 0
            for w in sorted(chosen):
                eid = len(enrollment.rows) + 1
                ent = w_ent[w]
                enrolled_at = datetime.datetime.combine(
                    enroll_start + datetime.timedelta(days=rng.randint(0, max(0, min((today - enroll_start).days,
                                                                                      (enroll_end - enroll_start).days)))),
                    datetime.time(rng.randint(8, 18), rng.randint(0, 59)))
                cancelled = rng.random() < 0.01
                paid = finished and not cancelled
                attendance = None
                if paid and confirmed is not None:
                    attendance = "合格" if rng.random() < 0.93 else "不合格"
                in_exam = exam_id is not None and attendance == "合格"
                exam_status = {"approved": "已审核", "submitted": "未审核", "accepted": "未审核"}.get(
                    exam_state, "未上报") if in_exam else "未上报"
                score_status, cert_status = "未上报", "证书未生成"
                if in_exam and report_state is not None:
                    score_status = {"approved": "已审核", "accepted": "已受理", "rejected": "未通过"}.get(
                        report_state, "未上报")
                ticket = None
                if in_exam:
                    seat += 1
                    if exam_state == "approved":
                        ticket = "%d%s%03d%03d" % (exam_at.year, inst_code[inst], exam_serial[(inst, exam_at.year)], seat)
                    candidate.add(len(candidate.rows) + 1, exam_id, eid, ticket,
                                  (seat - 1) // 30 + 1 if ticket else None, (seat - 1) % 30 + 1 if ticket else None,
                                  False)
                if in_exam and exam_state == "approved" and exam_at < now:
                    absent = rng.random() < 0.03
                    theory = None if absent else min(100, max(10, int(rng.gauss(76, 12))))
                    practical = None if absent else min(100, max(10, int(rng.gauss(78, 11))))
                    passed = not absent and theory >= 60 and practical >= 60
                    score.add(len(score.rows) + 1, exam_id, eid, theory, practical, absent,
                              "缺考" if absent else None, passed, exam_at + datetime.timedelta(days=3),
                              exam_at + datetime.timedelta(days=3))
                    issue = (exam_at + datetime.timedelta(days=12)).date()
                    if passed and report_state == "approved" and issue <= today:
                        key = (issue.year, inst_code[inst], trade)
                        cert_serial[key] += 1
                        number = "%02d%s%s%05d" % (issue.year % 100, inst_code[inst], trade, cert_serial[key])
                        pushed = rng.random() < 0.75
                        cert_status = "证书已推送" if pushed else "证书已生成未推送"
                        stamp = datetime.datetime.combine(issue, datetime.time(10))
                        certificate.add(len(certificate.rows) + 1, number, w, eid, exam_id, inst, inst_region[inst],
                                        ent_region[ent], w_name[w], trade, level, issue,
                                        None, "pushed" if pushed else "generated", stamp, 1 if pushed else 0,
                                        stamp + datetime.timedelta(hours=1) if pushed else None, False, stamp, stamp)
                hours = None if attendance is None else (64 if attendance == "合格" else rng.randint(20, 50))
                enrollment.add(
                    eid, plan_id, w, ent, inst, exam_id if in_exam else None, inst_region[inst], ent_region[ent],
                    w_name[w], w_idn[w], w_mobile[w], ent_name[ent], inst_name[inst], name,
                    exam_name if in_exam else None, exam_status, score_status, cert_status, enrolled_at,
                    1000 if paid else None, enrolled_at + datetime.timedelta(days=2) if paid else None,
                    "SJ%08d" % eid if paid else None, paid, hours,
                    None if hours is None else round(hours * 100 / 64, 2), attendance, confirmed if attendance else None,
                    enrolled_at + datetime.timedelta(days=1) if cancelled else None,
                    "个人原因" if cancelled else None, enrolled_at, enrolled_at)
    _renumber_enrollments_by_time(tables)
    for (year, code, trade), last in sorted(cert_serial.items()):
        sequence.add(year, code, trade, last)
    return tables


def _renumber_enrollments_by_time(tables):
    """Enrollment ids grow with time, as they do in production (newest first = highest id)."""
    enrollment = tables["enrollment"]
    at = enrollment.columns.index("enrolled_at")
    enrollment.rows.sort(key=lambda row: (row[at], row[0]))
    new_id = {row[0]: index for index, row in enumerate(enrollment.rows, start=1)}
    enrollment.rows = [(new_id[row[0]],) + row[1:] for row in enrollment.rows]
    for name in ("exam_candidate", "score", "certificate"):
        table = tables[name]
        column = table.columns.index("enrollment_id")
        table.rows = [row[:column] + (new_id[row[column]],) + row[column + 1:] for row in table.rows]


def _person(rng):
    surname = rng.choice(SURNAMES)
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return surname + given


def _mobile(rng):
    return "1%d%09d" % (rng.choice((3, 5, 7, 8, 9)), rng.randrange(10 ** 9))


ORDER = ["enterprise", "worker", "institution", "training_plan", "exam_plan", "enrollment", "exam_candidate",
         "score", "score_report", "certificate", "certificate_sequence"]
