"""The SHU pages: the years, the rules editor, the review (compute, pools and members), approval at the
RAT, payouts, and the downloads (distribution PDF/XLSX, slips). Views parse the form, call one SHU
service and render; a refusal (ShuError) is shown on the page and nothing is written."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import can, permission_required, recent_password_required
from koppontren.clock import today
from koppontren.ledger import periods
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.members import services as members
from koppontren.members.forms import choices
from koppontren.savings import services as savings
from koppontren.shu import documents, services
from koppontren.shu.forms import ApproveForm, ComputeForm, PayoutForm, RulesForm
from koppontren.shu.rules import ShuError
from koppontren.site.formhelpers import show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("shu", __name__)
PER_PAGE = 100
MIN_YEAR, MAX_YEAR = 1900, 2999


@coop_bp.app_context_processor
def _labels():
    return {"shu_kind_label": lambda k: str(services.KIND_LABELS.get(k, k)),
            "shu_status_label": lambda s: str(services.STATUS_LABELS.get(s, s)),
            "shu_method_label": lambda m: str(services.METHOD_LABELS.get(m, m))}


def _year_or_404(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        abort(404)
    return year


def _run_or_404(year: int):
    run = services.get_run(current_coop(), _year_or_404(year))
    if run is None:
        abort(404)
    return run


@coop_bp.get("/shu")
@permission_required("shu.view")
def index():
    coop = current_coop()
    current = fiscal_year_of(today(), coop.fiscal_year_start_month)
    runs = {r.fiscal_year: r for r in services.runs(coop)}
    years = sorted(set(runs) | {current - 1, current}, reverse=True)
    rows = [(y, runs.get(y), services.run_status(coop, runs[y]) if y in runs else None,
             all(m.closed for m in periods.fiscal_year_status(coop, y))) for y in years]
    return render_template("shu/index.html", rows=rows)


@coop_bp.route("/shu/<int:year>/rules", methods=["GET", "POST"])
@permission_required("shu.view")
def rules(year: int):
    coop = current_coop()
    _year_or_404(year)
    info = services.rules_of(coop, year)
    form = RulesForm()
    frozen = (run := services.get_run(coop, year)) is not None and run.status != "draft"
    if request.method == "POST":
        if not can("shu.prepare"):
            abort(403)
        if form.validate_on_submit():
            try:
                services.save_rules(coop, year, _rules_data(form), actor=current_user)
            except ShuError as err:
                show_domain_error(form, err)
            else:
                flash(_("Aturan pembagian SHU %(y)s disimpan.", y=year), "success")
                return redirect(url_for("shu.rules", year=year))
        else:
            flash(_("Periksa isian aturan."), "danger")
    else:
        _fill_rules_form(form, info.rules.to_dict())
    return render_template("shu/rules.html", form=form, year=year, info=info, frozen=frozen)


def _rules_data(form: RulesForm) -> dict:
    """The rules as the form gives them (what ``Rules.to_dict`` writes); rows without a name are left out."""
    return {"components": [{k: (v or "").strip() if isinstance(v, str) else v for k, v in entry.data.items()}
                           for entry in form.components.entries if (entry.data.get("name") or "").strip()],
            "savings_basis": form.savings_basis.data, "include_sukarela": bool(form.include_sukarela.data),
            "include_departed": bool(form.include_departed.data)}


def _fill_rules_form(form: RulesForm, data: dict) -> None:
    """The form shows the rules, and three empty rows to add components."""
    while len(form.components.entries):
        form.components.pop_entry()
    for c in data["components"] + [{}] * 3:
        form.components.append_entry({"name": c.get("name", ""), "kind": c.get("kind", "fund"), "percent": c.get("percent", ""),
                                      "account": c.get("account", ""), "source": c.get("source", "member"),
                                      "unit": c.get("unit") or ""})
    form.savings_basis.data = data["savings_basis"]
    form.include_sukarela.data = data["include_sukarela"]
    form.include_departed.data = data["include_departed"]


@coop_bp.get("/shu/<int:year>")
@permission_required("shu.view")
def review(year: int):
    coop = current_coop()
    _year_or_404(year)
    run = services.get_run(coop, year)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    shares, total_members, payouts = [], 0, {}
    if run is not None:
        total_members = services.share_count(coop, run)
        shares = services.shares_of(coop, run, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        payouts = services.payouts_of(coop, run)
    approve_form = ApproveForm(formdata=None, date=today())
    pay_form = PayoutForm(formdata=None, date=today())
    pay_form.account.choices = choices((a.id, f"{a.code} — {a.name_id}") for a in savings.payment_accounts(coop))
    return render_template("shu/review.html", year=year, run=run, status=services.run_status(coop, run) if run else None,
                           shares=shares, payouts=payouts, page=page, pages=max((total_members + PER_PAGE - 1) // PER_PAGE, 1),
                           total_members=total_members, compute_form=ComputeForm(formdata=None), approve_form=approve_form,
                           pay_form=pay_form, divisor=run.snapshot.get("savings_divisor", 1) if run else 1,
                           distribution=services.proposed_distribution(coop, year))


@coop_bp.post("/shu/<int:year>/compute")
@permission_required("shu.prepare")
def compute(year: int):
    _year_or_404(year)
    form = ComputeForm()
    if form.validate_on_submit():
        try:
            services.compute_run(current_coop(), year, actor=current_user)
        except ShuError as err:
            flash(str(err.message), "danger")
        else:
            flash(_("SHU %(y)s dihitung (draf).", y=year), "success")
    return redirect(url_for("shu.review", year=year))


@coop_bp.post("/shu/<int:year>/approve")
@permission_required("shu.approve")
@recent_password_required
def approve(year: int):
    _year_or_404(year)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("Isi tanggal dan nomor keputusan RAT."), "danger")
        return redirect(url_for("shu.review", year=year))
    try:
        run = services.approve_run(current_coop(), year, day=form.date.data, decision=form.decision.data, actor=current_user)
    except ShuError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("Pembagian SHU %(y)s disahkan; jurnal pembagian diposting.", y=run.fiscal_year), "success")
    return redirect(url_for("shu.review", year=year))


@coop_bp.post("/shu/<int:year>/payouts")
@permission_required("shu.prepare")
def pay(year: int):
    coop = current_coop()
    _year_or_404(year)
    form = PayoutForm()
    form.account.choices = choices((a.id, f"{a.code} — {a.name_id}") for a in savings.payment_accounts(coop))
    if not form.validate_on_submit():
        flash(_("Periksa isian pembayaran."), "danger")
        return redirect(url_for("shu.review", year=year))
    member_id = None
    if (number := (form.member.data or "").strip()):
        member = members.get_by_number(coop, number)
        if member is None:
            flash(_("Anggota %(n)s tidak ditemukan.", n=number), "danger")
            return redirect(url_for("shu.review", year=year))
        member_id = member.id
    try:
        paid = services.pay(coop, year, day=form.date.data, method=form.method.data, member_id=member_id,
                            account_id=form.account.data, actor=current_user)
    except ShuError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("%(n)s anggota dibayar.", n=len(paid)), "success")
    return redirect(url_for("shu.review", year=year))


@coop_bp.get("/shu/<int:year>/distribution.pdf")
@permission_required("shu.view")
def distribution_pdf(year: int):
    run = _run_or_404(year)
    return Response(documents.distribution_pdf(current_coop(), run), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="pembagian-shu-{year}.pdf"'})


@coop_bp.get("/shu/<int:year>/distribution.xlsx")
@permission_required("shu.view")
def distribution_xlsx(year: int):
    run = _run_or_404(year)
    return Response(documents.distribution_xlsx(current_coop(), run),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="pembagian-shu-{year}.xlsx"'})


@coop_bp.get("/shu/<int:year>/slips.pdf")
@permission_required("shu.view")
def slips_pdf(year: int):
    run = _run_or_404(year)
    return Response(documents.slips_pdf(current_coop(), run), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="slip-shu-{year}.pdf"'})


@coop_bp.get("/shu/<int:year>/members/<int:member_id>/slip.pdf")
@permission_required("shu.view")
def member_slip_pdf(year: int, member_id: int):
    coop = current_coop()
    run = _run_or_404(year)
    if not services.shares_of(coop, run, member_id=member_id):
        abort(404)
    return Response(documents.slips_pdf(coop, run, [member_id]), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="slip-shu-{year}-{member_id}.pdf"'})
