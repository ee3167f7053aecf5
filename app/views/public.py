"""Public pages linked from the login page: 企业注册 and 证书查询 (filled by later issues)."""
from flask_appbuilder import BaseView, expose


class PublicView(BaseView):
    """Anonymous pages; no permission needed."""

    route_base = "/public"
    default_view = "certificate_query"

    @expose("/register", methods=["GET", "POST"])
    def register(self):
        return self.render_template("public/pending.html", title="企业注册",
                                    message="企业注册功能即将开放，请联系所在地主管部门。")

    @expose("/certificate", methods=["GET", "POST"])
    def certificate_query(self):
        return self.render_template("public/pending.html", title="证书查询",
                                    message="证书查询功能即将开放。")
