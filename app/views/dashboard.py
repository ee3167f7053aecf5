"""统计分析 → 行业数据看板 (SPEC §11): a department's region, drillable province → city → county.

Charts are drawn by Apache ECharts served from app/static/vendor/echarts (no CDN: the console runs on
intranets; FAB's own charts load Google's and are not used). The same numbers are shown as tables and
can be downloaded as xlsx.
"""
import io
from urllib.parse import urlencode

from flask import flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app.documents.xlsx_out import XLSX_MIMETYPE, XlsxStreamWriter
from app.extensions import db
from app.security.scope import current_scope
from app.services import audit
from app.services import dashboard as dashboard_service
from app.services.dictionaries import label as dict_label
from app.views.base import flash_queue_notice, queue_notice

PRESETS = (("year", "本年"), ("12m", "近12个月"), ("all", "全部"), ("custom", "自定义"))


class DashboardView(BaseView):
    """行业数据看板 for departments, within their region."""

    route_base = "/dashboard"
    class_permission_name = "Dashboard"
    base_permissions = ["can_list", "can_export"]
    default_view = "index"

    def _inputs(self):
        scope = current_scope()
        region = dashboard_service.resolve_region(db.session, scope, request.args.get("region"))
        period = dashboard_service.Period.from_args(request.args)
        return scope, region, period

    def _args(self, **extra):
        keep = {k: request.args.get(k) for k in ("preset", "start", "end", "region") if request.args.get(k)}
        keep.update({k: v for k, v in extra.items() if v is not None})
        return keep

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self):
        scope, region, period = self._inputs()
        meta = dashboard_service.ensure_fresh(db.session)
        data = dashboard_service.compute(db.session, scope, region, period)
        for trade in data["trades"]:
            trade["label"] = dict_label("trade", trade["code"])
        for key in ("enterprise_states", "institution_states", "plan_states"):
            for item in data[key]:
                item["label"] = _(item["label"])
        preset = request.args.get("preset") or ("custom" if request.args.get("start") or request.args.get("end")
                                                else "year")
        drill = region.level != "county"

        def link(**extra):
            return url_for("DashboardView.index") + "?" + urlencode(self._args(**extra))

        return self.render_template(
            "dashboard/index.html", data=data, region=region, period=period, meta=meta, presets=PRESETS,
            queue_notice=queue_notice(dashboard_service.REFRESH_SUBJECT),
            preset=preset, drill=drill, link=link, title=_("行业数据看板"),
            export_url=url_for("DashboardView.export") + "?" + urlencode(self._args()),
            drill_base=url_for("DashboardView.index") + "?" + urlencode(
                {k: v for k, v in self._args().items() if k != "region"}),
        )

    @expose("/export")
    @has_access
    @permission_name("export")
    def export(self):
        scope, region, period = self._inputs()
        dashboard_service.ensure_fresh(db.session)
        data = dashboard_service.compute(db.session, scope, region, period)
        buffer = io.BytesIO()
        with XlsxStreamWriter(buffer) as book:
            for title, headers, widths, rows in dashboard_service.export_sheets(
                    data, region, period, lambda code: dict_label("trade", code)):
                book.start_sheet(title, headers, widths)
                for row in rows:
                    book.write_row(row)
        audit.record("export", None, user=g.user, object_type="dashboard",
                     detail="行业数据看板导出：%s，%s，地区 %d 行" % (region.name, period.label(), len(data["regions"])))
        db.session.commit()
        buffer.seek(0)
        return send_file(buffer, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name="行业数据看板_%s_%s.xlsx" % (region.name, period.label().replace(" ", "")))

    @expose("/refresh", methods=["POST"])
    @has_access
    @permission_name("list")
    def refresh(self):
        dashboard_service.resolve_region(db.session, current_scope(), None)  # departments only (404 otherwise)
        dashboard_service.ensure_fresh(db.session, force=True)
        if not flash_queue_notice(dashboard_service.REFRESH_SUBJECT):
            flash(_("已开始重新统计，稍后刷新页面即可看到最新数据"), "info")
        return redirect(url_for("DashboardView.index") + "?" + urlencode(self._args()))
