"""caseapp: case management for a 24-hour UK addiction-treatment helpline."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from caseapp import config as config_module
from caseapp import extensions
from caseapp.config import TEMPLATE_FOLDER
from caseapp.encryption import keys as encryption_keys
from caseapp.errors import register_error_handlers
from caseapp.ids import IdConverter
from caseapp.timeutil import format_countdown, format_local

MIGRATIONS_DIR = str(config_module.PROJECT_ROOT / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATE_FOLDER))
    app.url_map.converters["int"] = IdConverter  # every <int:...> in a route is an id the database can hold
    config_module.load(app, config)
    encryption_keys.init_app(app, config_module.VAR_DIR)
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    from caseapp.api import API_PREFIX
    from caseapp.inbound import init_inbound
    from caseapp.logs import configure_logging
    from caseapp.security import init_security_headers

    configure_logging(app)
    init_inbound(app, API_PREFIX)
    _init_extensions(app)
    _register_blueprints(app)
    register_error_handlers(app)
    init_security_headers(app)
    _register_template_helpers(app)

    from caseapp.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

    from caseapp import models  # noqa: F401 - every model registered on the metadata
    from caseapp.audit import pending
    from caseapp.auth.access import init_login
    from caseapp.db import include_in_autogenerate
    from caseapp.encryption.types import compare_column_type

    extensions.db.init_app(app)
    pending.listen(FlaskSQLAlchemySession)  # each transaction's audit rows in one INSERT
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=MIGRATIONS_DIR,
        compare_type=compare_column_type,
        render_as_batch=True,
        include_object=include_in_autogenerate,
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    init_login(app)
    extensions.celery_init_app(app)


def _register_blueprints(app: Flask) -> None:
    from caseapp.access.api import api_bp as access_api
    from caseapp.access.views import bp as access_bp
    from caseapp.access.views import init_access_pages
    from caseapp.access.views import review_bp as access_review_bp
    from caseapp.assessments.api import api_bp as assessments_api
    from caseapp.assessments.views import bp as assessments_bp
    from caseapp.audit.api import api_bp as audit_api
    from caseapp.audit.views import bp as audit_bp
    from caseapp.auth.api import api_bp as tokens_api
    from caseapp.auth.views import bp as auth_bp
    from caseapp.callbacks.api import api_bp as callbacks_api
    from caseapp.callbacks.api import handovers_api_bp as handovers_api
    from caseapp.callbacks.views import bp as callbacks_bp
    from caseapp.caller_flags.api import api_bp as flags_api
    from caseapp.caller_flags.api import caller_api_bp as caller_flags_api
    from caseapp.callers.api import api_bp as callers_api
    from caseapp.callers.api import merge_api_bp as caller_merge_api
    from caseapp.callers.api import merges_api_bp as caller_merges_api
    from caseapp.callers.views import bp as callers_bp
    from caseapp.calls.api import api_bp as calls_api
    from caseapp.calls.views import bp as calls_bp
    from caseapp.cases.api import api_bp as cases_api
    from caseapp.cases.api import stale_api_bp as stale_cases_api
    from caseapp.cases.views import bp as cases_bp
    from caseapp.directory.api import api_bp as services_api
    from caseapp.directory.api import manage_api_bp as services_manage_api
    from caseapp.directory.views import bp as directory_bp
    from caseapp.emergencies.api import api_bp as emergencies_api
    from caseapp.emergencies.views import bp as emergencies_bp
    from caseapp.harm_reduction.api import api_bp as harm_reduction_api
    from caseapp.harm_reduction.views import bp as harm_reduction_bp
    from caseapp.health import bp as health_bp
    from caseapp.home import bp as home_bp
    from caseapp.meta_api import api_bp as reference_api
    from caseapp.meta_api import docs_bp
    from caseapp.notifications.api import api_bp as notifications_api
    from caseapp.notifications.views import bp as notifications_bp
    from caseapp.referrals.api import api_bp as referrals_api
    from caseapp.referrals.api import case_api_bp as case_referrals_api
    from caseapp.referrals.offers_api import api_bp as referral_offers_api
    from caseapp.referrals.offers_views import bp as referral_offers_bp
    from caseapp.referrals.views import bp as referrals_bp
    from caseapp.reminders.api import api_bp as reminders_api
    from caseapp.reports.api import api_bp as reports_api
    from caseapp.reports.views import bp as reports_bp
    from caseapp.retention.api import erasure_api_bp, legal_hold_api_bp
    from caseapp.retention.views import bp as retention_bp
    from caseapp.safeguarding.api import api_bp as safeguarding_api
    from caseapp.safeguarding.api import case_api_bp as case_safeguarding_api
    from caseapp.safeguarding.api import managers_api_bp as safeguarding_managers_api
    from caseapp.safeguarding.views import bp as safeguarding_bp
    from caseapp.safety_plans.api import api_bp as safety_plans_api
    from caseapp.safety_plans.views import bp as safety_plans_bp
    from caseapp.sar.views import bp as sar_bp
    from caseapp.screenings.api import api_bp as screenings_api
    from caseapp.screenings.views import bp as screenings_bp
    from caseapp.settings.api import api_bp as settings_api
    from caseapp.settings.views import bp as settings_bp
    from caseapp.shifts.api import api_bp as shifts_api
    from caseapp.shifts.views import bp as shifts_bp
    from caseapp.telephony.api import api_bp as telephony_api
    from caseapp.telephony.views import bp as telephony_bp
    from caseapp.users.views import bp as users_bp

    pages = (
        health_bp,
        auth_bp,
        home_bp,
        users_bp,
        audit_bp,
        access_review_bp,
        access_bp,
        calls_bp,
        cases_bp,
        callers_bp,
        assessments_bp,
        screenings_bp,
        harm_reduction_bp,
        safety_plans_bp,
        emergencies_bp,
        safeguarding_bp,
        notifications_bp,
        callbacks_bp,
        referrals_bp,
        shifts_bp,
        reports_bp,
        retention_bp,
        sar_bp,
        telephony_bp,
        settings_bp,
        directory_bp,
        referral_offers_bp,
    )
    apis = (
        docs_bp,
        reference_api,
        calls_api,
        callers_api,
        caller_merge_api,
        caller_merges_api,
        caller_flags_api,
        flags_api,
        cases_api,
        stale_cases_api,
        access_api,
        assessments_api,
        screenings_api,
        harm_reduction_api,
        safety_plans_api,
        emergencies_api,
        case_safeguarding_api,
        safeguarding_api,
        safeguarding_managers_api,
        notifications_api,
        callbacks_api,
        referrals_api,
        case_referrals_api,
        tokens_api,
        handovers_api,
        shifts_api,
        reminders_api,
        reports_api,
        audit_api,
        erasure_api_bp,
        legal_hold_api_bp,
        telephony_api,
        settings_api,
        services_api,
        services_manage_api,
        referral_offers_api,
    )
    for blueprint in (*pages, *apis):
        app.register_blueprint(blueprint)
    extensions.csrf.exempt(health_bp)
    extensions.csrf.exempt(telephony_api)  # the phone system signs its requests instead (caseapp/telephony/api.py)
    init_access_pages(app)


def _register_template_helpers(app: Flask) -> None:
    from caseapp.callers.phones import display as display_phone

    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["countdown"] = format_countdown
    from caseapp.caller_flags.present import time_left

    app.jinja_env.filters["flag_time_left"] = time_left
    from caseapp.auth.models import Role

    app.jinja_env.globals["app_env"] = app.config["ENV_NAME"]
    app.jinja_env.globals["Role"] = Role

    from flask_login import current_user

    from caseapp.notifications.queries import count_unread

    def unread_notifications() -> int:
        return count_unread(current_user.id) if current_user.is_authenticated else 0

    app.jinja_env.globals["unread_notifications"] = unread_notifications
