"""The product import page and its downloadable templates (routes on the shop blueprint).

The page runs ``importer.import_products`` through the import framework's upload handler and shows
its answer with the one import macro: every bad row of a refused file, the plan of a dry run, or —
after a real import, redirected so a reload cannot import twice — the products created.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.imports.pages import Done, handle_upload, template_download
from koppontren.shop import importer
from koppontren.shop.backoffice_forms import ProductImportForm
from koppontren.shop.views import coop_bp
from koppontren.tenancy.scoping import current_coop

RESULT_KEY = "product_import_result"


def _stored(outcome: importer.ImportResult) -> Done:
    return Done(_("%(n)s produk diimpor.", n=outcome.count), {"count": outcome.count, "first": outcome.skus[0], "last": outcome.skus[-1]})


@coop_bp.route("/shop/products/import", methods=["GET", "POST"])
@permission_required("shop.manage")
def import_products():
    coop = current_coop()
    form = ProductImportForm()
    answer = handle_upload(
        form, lambda data, filename, dry_run: importer.import_products(coop, data, filename, dry_run=dry_run, actor=current_user),
        checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s produk siap diimpor. Belum ada yang disimpan.", n=plan.count),
        done=_stored, result_key=RESULT_KEY)
    if answer.response is not None:
        return answer.response
    return render_template("shop/import.html", form=form, answer=answer, spec=importer.SPEC, max_rows=importer.MAX_ROWS), answer.status


@coop_bp.get("/shop/products/import/template.csv")
@permission_required("shop.manage")
def import_products_template_csv():
    return template_download(importer.SPEC, importer.template_rows(), "csv")


@coop_bp.get("/shop/products/import/template.xlsx")
@permission_required("shop.manage")
def import_products_template_xlsx():
    return template_download(importer.SPEC, importer.template_rows(), "xlsx")
