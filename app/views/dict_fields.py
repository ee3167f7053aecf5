"""Form fields, validators and a view mixin for the 系统管理 screens (数据字典, 行政区划, 主管部门, 系统设置).

Messages are Chinese and shown next to the field; FAB's own converter is bypassed for these columns
because it appends generic validators (English-sourced "Already exists.", and InputRequired on
NOT NULL booleans, which makes an unticked 启用 checkbox impossible to save).
"""
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from app.extensions import db
from app.services import ServiceError
from app.services.dictionaries import FreshChoicesSelectField


def strip(value):
    """WTForms filter: trim surrounding spaces (None stays None)."""
    return value.strip() if isinstance(value, str) else value


def enabled_field(label, default=True, description=""):
    """A plain checkbox: unticked means False (FAB's converted one wrongly requires a tick)."""
    return BooleanField(label, default=default, description=description or "")


def _editing_pk(form):
    # FAB sets form._id to the primary key of the record being edited before validating.
    return getattr(form, "_id", None)


class ReadOnlyField(StringField):
    """Shows a stored value on an edit form (e.g. the code being edited); what is posted is ignored."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"readonly": True})
        super().__init__(label, validators, **kwargs)

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(None, data, extra_filters)  # never from the request
        if self.data in (None, ""):
            from app.services.dictionaries import edited_record

            record = edited_record()
            self.data = getattr(record, self.short_name, None) if record is not None else None

    def _value(self):
        return "" if self.data is None else str(self.data)

    def populate_obj(self, obj, name):
        pass  # read-only


class UniqueValue:
    """The value of a column must not exist yet (excluding the record being edited).

    `within(form)` may return extra SQL conditions (e.g. the same 字典类型), or None to skip the check.
    Stops the validation chain so only this message shows.
    """

    def __init__(self, model, column, message, within=None, case_insensitive=False):
        self.model, self.column, self.message = model, column, message
        self.within, self.case_insensitive = within, case_insensitive

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        column = getattr(self.model, self.column)
        pk = self.model.__mapper__.primary_key[0]
        if self.case_insensitive:
            query = select(pk).where(func.lower(column) == str(field.data).lower())
        else:
            query = select(pk).where(column == field.data)
        if self.within is not None:
            extra = self.within(form)
            if extra is None:
                return
            query = query.where(*extra)
        editing = _editing_pk(form)
        for (found,) in db.session.execute(query.limit(2)):
            if editing is None or str(found) != str(editing):
                message = str(self.message)
                raise StopValidation(message % {"value": field.data} if "%(value)" in message else message)


class Check:
    """Run a callable(form, value); a ServiceError/ValueError it raises becomes the field's message."""

    def __init__(self, func):
        self.func = func

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            self.func(form, field.data)
        except ServiceError as refused:
            raise ValidationError(refused.message)


class RegionSelectField(FreshChoicesSelectField):
    """A select of 行政区划 read at render time; the submitted code must be a real region."""

    def __init__(self, label=None, validators=None, prefix=None, counties_only=False, **kwargs):
        kwargs.setdefault("invalid_choice_message", _l("请选择有效的行政区划"))
        kwargs.setdefault("widget", Select2Widget())  # searchable: a province has about a hundred regions
        super().__init__(label, validators, choices=[], validate_choice=True, **kwargs)
        self.prefix, self.counties_only = prefix, counties_only

    def _load_choices(self):
        from app.services.regions import county_choices, region_choices

        rows = county_choices(self.prefix) if self.counties_only else region_choices(self.prefix)
        self.choices = [SelectChoice("", _l("请选择"))] + [
            SelectChoice(code, "%s（%s）" % (name, code)) for code, name in rows
        ]



class FriendlyIntegrityMixin:
    """Turn a unique/foreign-key violation at save time into the view's Chinese message.

    FAB 5.3 declares add/edit_integrity_error_message but never uses them: an IntegrityError on add
    is flashed as the raw (English) database text, on edit as "Database Error". The form
    validators catch duplicates first; this covers the race between two concurrent saves.
    """

    add_integrity_error_message = _l("保存失败：数据已存在或与其他记录冲突，请检查后重试")
    edit_integrity_error_message = _l("保存失败：数据已存在或与其他记录冲突，请检查后重试")

    def pre_add(self, item):
        try:
            super().pre_add(item)
            db.session.add(item)
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise ServiceError(str(self.add_integrity_error_message))

    def pre_update(self, item):
        try:
            super().pre_update(item)
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise ServiceError(str(self.edit_integrity_error_message))
