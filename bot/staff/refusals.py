"""Staff pages refuse input they cannot use with a 400 page naming the field, never a 500.

Query and form fields with a NUL character are refused before any view runs
(PostgreSQL cannot store or even compare such text); views raise InvalidInput
for dates, pages and ids out of range, and it is answered here.
"""
from __future__ import annotations

from flask import render_template, request

from bot.errors import InvalidInput
from bot.staff import bp
from bot.web_input import check_fields


@bp.before_request
def refuse_unusable_fields():
    """Every query and form field must be text the database can take."""
    check_fields(request.args.items(multi=True))
    if request.method == "POST":
        check_fields(request.form.items(multi=True))


@bp.errorhandler(InvalidInput)
def bad_field(exc: InvalidInput):
    return render_template("staff/error.html", title="Please check what you typed",
                           message=f"“{exc.field}” {exc.message}."), 400
