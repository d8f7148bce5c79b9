"""The member import page and its downloadable templates (routes on the members blueprint).

The page parses the upload, calls ``importer.import_members`` and shows its answer: every bad row
of a refused file, the plan of a dry run, or — after a real import, redirected so a reload cannot
import twice — the count and the opening entry's voucher.
"""

from __future__ import annotations

import csv
import io

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.members.forms import MemberImportForm
from koppontren.membership import importer
from koppontren.membership.views import coop_bp
from koppontren.savings import services as savings
from koppontren.site.formhelpers import show_domain_error
from koppontren.tenancy.scoping import current_coop

RESULT_KEY = "member_import_result"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@coop_bp.route("/members/import", methods=["GET", "POST"])
@permission_required("members.manage")
def import_members():
    coop = current_coop()
    form = MemberImportForm()
    form.account.choices = [(a.id, f"{a.code} — {a.name_id}") for a in importer.counter_accounts(coop)]
    if request.method == "GET":
        form.date.data = today()
        form.account.data = savings.get_settings(coop).default_account_id
    problems = plan = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = importer.import_members(coop, upload.read(), upload.filename, entry_date=form.date.data, account=form.account.data,
                                              actor=current_user, dry_run=form.dry_run.data)
        except importer.MemberImportError as err:
            problems = err.problems
            flash(str(err.message), "danger")
        except DomainError as err:
            show_domain_error(form, err)
        else:
            if form.dry_run.data:
                plan = outcome
                flash(_("Berkas lolos pemeriksaan: %(n)s anggota siap diimpor. Belum ada yang disimpan.", n=plan.count), "info")
            else:
                session[RESULT_KEY] = {"count": outcome.count, "first": outcome.numbers[0], "last": outcome.numbers[-1],
                                       "voucher": outcome.entry_number, "entry_id": outcome.entry_id}
                flash(_("%(n)s anggota diimpor.", n=outcome.count), "success")
                return redirect(url_for("members.import_members"))
    elif request.method == "POST":
        flash(next(iter(e for errors in form.errors.values() for e in errors), _("Periksa isian.")), "danger")
    result = session.pop(RESULT_KEY, None) if request.method == "GET" else None
    return render_template("members/import.html", form=form, problems=problems, plan=plan, result=result,
                           columns=importer.HEADERS, max_rows=importer.MAX_ROWS)


@coop_bp.get("/members/import/template.csv")
@permission_required("members.manage")
def import_template_csv():
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(importer.template_rows(current_coop()))
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=impor-anggota.csv"})


@coop_bp.get("/members/import/template.xlsx")
@permission_required("members.manage")
def import_template_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Anggota")
    for row in importer.template_rows(current_coop()):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:  # NIK, phone and numbers stay text: a spreadsheet would drop leading zeros
        for cell in column:
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": "attachment; filename=impor-anggota.xlsx"})
