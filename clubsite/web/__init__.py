"""What every area's web routes build on: the back-office blueprint, its guard, home panels and
the shared forms. Areas add their back-office routes to `office` from their own routes module."""

from flask import Blueprint

from clubsite.web.guard import check_access

office = Blueprint("backoffice", __name__, url_prefix="/office")
office.before_request(check_access)
