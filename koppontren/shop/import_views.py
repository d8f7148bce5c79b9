"""The product import page and its downloadable templates (routes on the shop blueprint).

The page runs ``importer.import_products`` through the import framework (``imports.pages``) and
shows its answer with the one import macro: every bad row of a refused file, the plan of a dry run,
or — after a real import, redirected so a reload cannot import twice — the products created.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.imports.pages import Done, ImportPage, add_template_routes
from koppontren.shop import importer
from koppontren.shop.backoffice_forms import ProductImportForm
from koppontren.shop.views import coop_bp
from koppontren.tenancy.scoping import current_coop

PAGE = ImportPage(
    "shop/import.html", importer.SPEC, importer.MAX_ROWS, result_key="product_import_result",
    checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s produk siap diimpor. Belum ada yang disimpan.", n=plan.count),
    done=lambda result: Done(_("%(n)s produk diimpor.", n=result.count), {"count": result.count, "first": result.skus[0], "last": result.skus[-1]}),
)


@coop_bp.route("/shop/products/import", methods=["GET", "POST"])
@permission_required("shop.manage")
def import_products():
    coop = current_coop()
    return PAGE.respond(ProductImportForm(), lambda data, name, dry_run: importer.import_products(coop, data, name, dry_run=dry_run, actor=current_user))


add_template_routes(coop_bp, "/shop/products/import/template", importer.SPEC, importer.template_rows, permission="shop.manage",
                    endpoints={"csv": "import_products_template_csv", "xlsx": "import_products_template_xlsx"})
