"""The santri import and the bank-statement top-up import pages, with their templates (routes on
the wallet blueprint).

Each page runs its importer through the import framework's upload handler and shows its answer
with the one import macro: every bad row of a refused file, the plan of a dry run, or — after a
real import, redirected so a reload cannot import twice — what was stored. The statement form
carries an idempotency key made per rendered form: the same upload sent twice records once.
"""

from __future__ import annotations

import secrets

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.imports.pages import Done, handle_upload, template_download
from koppontren.tenancy.scoping import current_coop
from koppontren.wallet import importer
from koppontren.wallet.forms import ImportForm
from koppontren.wallet.views import coop_bp

SANTRI_RESULT = "wallet_santri_import_result"
STATEMENT_RESULT = "wallet_statement_import_result"


def _santri_stored(created: list) -> Done:
    return Done(_("%(n)s santri diimpor.", n=len(created)), {"count": len(created), "first": created[0].nis, "last": created[-1].nis})


def _topups_stored(transactions: list) -> Done:
    return Done(_("%(n)s isi saldo dicatat.", n=len(transactions)),
                {"count": len(transactions), "total": sum(t.amount for t in transactions), "vouchers": sorted({t.voucher for t in transactions})})


@coop_bp.route("/wallet/import", methods=["GET", "POST"])
@permission_required("wallet.manage")
def import_santri():
    coop = current_coop()
    form = ImportForm()
    answer = handle_upload(
        form, lambda data, filename, dry_run: importer.import_santri(coop, data, filename, dry_run=dry_run, actor=current_user),
        checked=lambda rows: _("Berkas lolos pemeriksaan: %(n)s santri siap diimpor. Belum ada yang disimpan.", n=len(rows)),
        done=_santri_stored, result_key=SANTRI_RESULT)
    if answer.response is not None:
        return answer.response
    return render_template("wallet/import.html", form=form, answer=answer, spec=importer.SANTRI_SPEC, max_rows=importer.MAX_ROWS), answer.status


@coop_bp.get("/wallet/import/template.csv")
@permission_required("wallet.manage")
def import_template_csv():
    return template_download(importer.SANTRI_SPEC, importer.santri_template_rows(), "csv")


@coop_bp.get("/wallet/import/template.xlsx")
@permission_required("wallet.manage")
def import_template_xlsx():
    return template_download(importer.SANTRI_SPEC, importer.santri_template_rows(), "xlsx")


@coop_bp.route("/wallet/topups/import", methods=["GET", "POST"])
@permission_required("wallet.manage")
def import_statement():
    """Top-ups from a bank statement (CSV: tanggal, referensi, nis, jumlah), all or nothing."""
    coop = current_coop()
    form = ImportForm()
    answer = handle_upload(
        form, lambda data, filename, dry_run: importer.import_statement(coop, data, filename, dry_run=dry_run, actor=current_user,
                                                                      idempotency_key=None if dry_run else (form.idempotency_key.data or None)),
        checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s isi saldo siap dicatat. Belum ada yang disimpan.", n=plan.count),
        done=_topups_stored, result_key=STATEMENT_RESULT)
    if answer.response is not None:
        return answer.response
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(16)
    return render_template("wallet/import_statement.html", form=form, answer=answer, spec=importer.STATEMENT_SPEC,
                           max_rows=importer.MAX_ROWS), answer.status


@coop_bp.get("/wallet/topups/import/template.csv")
@permission_required("wallet.manage")
def statement_template_csv():
    return template_download(importer.STATEMENT_SPEC, importer.statement_template_rows(), "csv")
