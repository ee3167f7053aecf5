"""Forms of 企业注册 and 修改资料: they carry the input (and CSRF); app.services.enterprises judges it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.services import enterprises
from app.services.dictionaries import DictSelectField
from app.security.passwords import POLICY_HINT

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
FILE_HINT = _l("PDF、JPG或PNG格式")


class CountySelectField(SelectField):
    """行政区划 down to county level: one <optgroup> per city listing its county-level regions."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_choice_message", _l("请选择企业所在的区县"))
        super().__init__(label, validators, choices=self._grouped_choices, validate_choice=True, **kwargs)

    @staticmethod
    def _grouped_choices():
        choices = [SelectChoice("", _l("请选择区县"))]
        for city, counties in enterprises.county_groups():
            choices += [SelectChoice(code, name, optgroup=city) for code, name in counties]
        return choices

    def pre_validate(self, form):
        if self.data in ("", None):
            return  # the service says 请选择所属地区
        super().pre_validate(form)


class EnterpriseDataForm(FlaskForm):
    """The enterprise's own data and its three documents."""

    name = StringField(_l("企业名称"), render_kw={"maxlength": 200})
    uscc = StringField(_l("统一社会信用代码"), description=_l("18位，见营业执照"), render_kw={"maxlength": 18})
    region_code = CountySelectField(_l("所属地区"), description=_l("企业注册地所在的区县，由该地主管部门审核企业资质"))
    address = StringField(_l("地址"), render_kw={"maxlength": 255})
    legal_representative = StringField(_l("法定代表人"), render_kw={"maxlength": 50})
    contact_person = StringField(_l("联系人"), render_kw={"maxlength": 50})
    contact_mobile = StringField(_l("联系人手机"), render_kw={"maxlength": 11})
    qualification_category = DictSelectField(_l("资质类别"), dict_type=enterprises.QUALIFICATION_DICT)
    qualification_grade = StringField(_l("资质等级"), description=_l("如：一级、二级；无等级的可不填"),
                                      render_kw={"maxlength": 50})
    qualification_cert_no = StringField(_l("资质证书编号"), render_kw={"maxlength": 100})
    commitment_file = FileField(_l("企业承诺书"), description=FILE_HINT, render_kw={"accept": ACCEPT})
    license_file = FileField(_l("营业执照"), description=FILE_HINT, render_kw={"accept": ACCEPT})
    qualification_file = FileField(_l("企业资质证书"), description=FILE_HINT, render_kw={"accept": ACCEPT})

    def enterprise_data(self):
        return {name: self[name].data for name in enterprises.FIELDS}

    def documents(self):
        return {field: self[field].data for field in enterprises.DOCUMENTS}

    def show_errors(self, errors):
        """Put the service's messages next to their fields (a field keeps its first message)."""
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:
                field.errors = [message]


class EnterpriseRegistrationForm(EnterpriseDataForm):
    """企业注册: the account as well."""

    username = StringField(_l("用户名"), description=_l("3至64位字母、数字或 _ . @ -，用于登录"),
                           render_kw={"maxlength": 64, "autocomplete": "username"})
    password = PasswordField(_l("密码"), description=POLICY_HINT,
                             render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("确认密码"), render_kw={"autocomplete": "new-password"})
