"""The staffing rule for 师资及考评员 (seed): safety teachers, theory teachers per 工种, examiners per 专业.

Minimums are settings. A training plan for a 工种 cannot be submitted while the rule is unmet for it.
"""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Staff, TrainingPlan
from app.services import ServiceError
from app.services.dictionaries import label, trade_specialties
from app.services.settings import get_int


def _counts(institution_id):
    rows = db.session.execute(
        select(Staff.category, Staff.trade_code, Staff.specialty, func.count())
        .where(Staff.institution_id == institution_id)
        .group_by(Staff.category, Staff.trade_code, Staff.specialty)
    ).all()
    safety = sum(n for category, _t, _s, n in rows if category == "safety")
    theory = {}
    examiners = {}
    for category, trade, specialty, n in rows:
        if category == "theory":
            theory[trade] = theory.get(trade, 0) + n
        elif category == "examiner":
            examiners[specialty] = examiners.get(specialty, 0) + n
    return safety, theory, examiners


def trained_trades(institution_id):
    """工种 the institution trains: those of its training plans."""
    return sorted(t for (t,) in db.session.execute(
        select(TrainingPlan.trade_code).where(TrainingPlan.institution_id == institution_id).distinct()))


def gaps(institution_id, trades=None):
    """What is missing, as Chinese sentences; empty when the rule is met for `trades` (default: all trained)."""
    trades = trained_trades(institution_id) if trades is None else trades
    return _gaps(_counts(institution_id), trades, trade_specialties(trades))


def gaps_by_trade(institution_id, trades):
    """{工种: what is missing for a plan of it} for a whole list of trades (the plan form's 工种 choices)."""
    counts, specialties = _counts(institution_id), trade_specialties(trades)
    return {trade: _gaps(counts, [trade], specialties) for trade in trades}


def _gaps(counts, trades, specialties):
    safety, theory, examiners = counts
    missing = []
    need = get_int("min_safety_teachers")
    if safety < need:
        missing.append("安全生产知识培训师资不少于%d人，现有%d人" % (need, safety))
    need = get_int("min_theory_teachers_per_trade")
    for trade in trades:
        have = theory.get(trade, 0)
        if have < need:
            missing.append("工种“%s”的职业理论知识培训师资不少于%d人，现有%d人" % (label("trade", trade), need, have))
    need = get_int("min_examiners_per_specialty")
    for specialty in sorted({specialties.get(t) for t in trades} - {None}):
        have = examiners.get(specialty, 0)
        if have < need:
            missing.append("专业“%s”的考评员不少于%d人，现有%d人" % (specialty, need, have))
    return missing


def require_staffed_for(institution_id, trade_code):
    """Raise ServiceError listing what is missing before a plan for `trade_code` may be submitted."""
    missing = gaps(institution_id, [trade_code])
    if missing:
        raise ServiceError("师资及考评员不符合规定，不能上报：" + "；".join(missing))
