"""The santri import and the bank-statement top-up import pages, with their templates (routes on
the wallet blueprint).

Each page runs its importer through the import framework (``imports.pages``) and shows its answer
with the one import macro: every bad row of a refused file, the plan of a dry run, or — after a
real import, redirected so a reload cannot import twice — what was stored. The statement form
carries an idempotency key made per rendered form: the same upload sent twice records once.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.imports.pages import Done, ImportPage, add_template_routes
from koppontren.tenancy.scoping import current_coop
from koppontren.wallet import importer
from koppontren.wallet.forms import ImportForm
from koppontren.wallet.views import coop_bp


def _topups_stored(transactions: list) -> Done:
    return Done(_("%(n)s isi saldo dicatat.", n=len(transactions)),
                {"count": len(transactions), "total": sum(t.amount for t in transactions), "vouchers": sorted({t.voucher for t in transactions})})


SANTRI_PAGE = ImportPage(
    "wallet/import.html", importer.SANTRI_SPEC, importer.MAX_ROWS, result_key="wallet_santri_import_result",
    checked=lambda rows: _("Berkas lolos pemeriksaan: %(n)s santri siap diimpor. Belum ada yang disimpan.", n=len(rows)),
    done=lambda created: Done(_("%(n)s santri diimpor.", n=len(created)), {"count": len(created), "first": created[0].nis, "last": created[-1].nis}),
)
STATEMENT_PAGE = ImportPage(
    "wallet/import_statement.html", importer.STATEMENT_SPEC, importer.MAX_ROWS, result_key="wallet_statement_import_result", done=_topups_stored,
    checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s isi saldo siap dicatat. Belum ada yang disimpan.", n=plan.count),
)


@coop_bp.route("/wallet/import", methods=["GET", "POST"])
@permission_required("wallet.manage")
def import_santri():
    coop = current_coop()
    return SANTRI_PAGE.respond(ImportForm(), lambda data, name, dry_run: importer.import_santri(coop, data, name, dry_run=dry_run, actor=current_user))


@coop_bp.route("/wallet/topups/import", methods=["GET", "POST"])
@permission_required("wallet.manage")
def import_statement():
    """Top-ups from a bank statement (CSV: tanggal, referensi, nis, jumlah), all or nothing."""
    coop = current_coop()
    form = ImportForm()

    def run(data: bytes, filename: str, dry_run: bool):
        key = None if dry_run else (form.idempotency_key.data or None)
        return importer.import_statement(coop, data, filename, dry_run=dry_run, actor=current_user, idempotency_key=key)

    answer = STATEMENT_PAGE.handle(form, run)
    if answer.response is not None:
        return answer.response
    form.idempotency_key.data = form.idempotency_key.data or secrets.token_urlsafe(16)  # a fresh key per rendered form
    return STATEMENT_PAGE.render(form, answer)


add_template_routes(coop_bp, "/wallet/import/template", importer.SANTRI_SPEC, importer.santri_template_rows, permission="wallet.manage",
                    endpoints={"csv": "import_template_csv", "xlsx": "import_template_xlsx"})
add_template_routes(coop_bp, "/wallet/topups/import/template", importer.STATEMENT_SPEC, importer.statement_template_rows,
                    permission="wallet.manage", endpoints={"csv": "statement_template_csv"})
