"""培训机构: 机构代码 allocation (more verbs arrive with the institutions issue)."""
from app.models import InstitutionCodeSequence
from app.services import ServiceError
from app.services.sequences import next_value
from app.services.settings import get_setting


def allocate_institution_code(region_code):
    """Next 机构代码 for a region: rule from settings, default 33 + city (01–11) + 3-digit serial."""
    if not region_code or len(region_code) != 6:
        raise ServiceError("请选择机构所在地区")
    city = int(region_code[2:4])
    rule = get_setting("institution_code_rule")
    prefix = rule.split("{serial")[0].format(city=city)
    serial = next_value(InstitutionCodeSequence, {"prefix": prefix})
    if serial > 999:
        raise ServiceError("该地区的机构代码已用完，请联系系统管理员调整编码规则")
    return rule.format(city=city, serial=serial)
