/* Journal and opening-balance forms: add/remove line rows and a live "Debit = Kredit" check.
 *
 * Works on a <form data-balance-check data-decimals="0"> whose rows carry [data-line] and whose
 * amount inputs carry data-field="debit" / "credit". Amounts are read the Indonesian way
 * ("1.250.000" or "1250000", "1.250.000,50" when the cooperative uses decimals) and summed exactly
 * as BigInt counts of sen. The server checks everything again; this only helps while typing.
 * Messages come from the form's data-msg-* attributes, so they are translated with the page.
 */
(function () {
  "use strict";

  var GROUPED = /^\d{1,3}(\.\d{3})+(,\d+)?$/;
  var PLAIN = /^\d+(,\d+)?$/;

  /** Sen as BigInt, 0n for an empty field, null when the text is not an amount. */
  function parseSen(text, decimals) {
    var s = (text || "").replace(/[\s\u00a0]/g, "");
    if (s.slice(0, 2).toLowerCase() === "rp") s = s.slice(2);
    if (s === "") return 0n;
    if (!GROUPED.test(s) && !PLAIN.test(s)) return null;
    var parts = s.replace(/\./g, "").split(",");
    var frac = (parts[1] || "").replace(/0+$/, "");
    if (frac.length > decimals) return null;
    return BigInt(parts[0]) * 100n + BigInt((frac + "00").slice(0, 2));
  }

  function formatSen(sen, decimals) {
    var negative = sen < 0n;
    if (negative) sen = -sen;
    var whole = (sen / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    var text = whole;
    if (decimals > 0) text += "," + (sen % 100n).toString().padStart(2, "0").slice(0, decimals);
    return (negative ? "-" : "") + text;
  }

  function setup(form) {
    var decimals = parseInt(form.dataset.decimals || "0", 10);
    var box = form.querySelector("#balance-check");
    var submit = form.querySelector("[data-submit]");
    var container = form.querySelector("[data-lines]");
    var addButton = form.querySelector("[data-add-line]");
    var template = document.getElementById("line-template");

    function rows() {
      return Array.prototype.slice.call(form.querySelectorAll("[data-line]"));
    }

    function check() {
      var debit = 0n, credit = 0n, invalid = false;
      rows().forEach(function (row) {
        var d = row.querySelector('[data-field="debit"]');
        var c = row.querySelector('[data-field="credit"]');
        var dv = parseSen(d.value, decimals), cv = parseSen(c.value, decimals);
        d.classList.toggle("is-invalid", dv === null);
        c.classList.toggle("is-invalid", cv === null);
        var both = dv !== null && cv !== null && dv > 0n && cv > 0n;
        if (both) {
          d.classList.add("is-invalid");
          c.classList.add("is-invalid");
          d.title = c.title = form.dataset.msgBothSides || "";
        } else if (dv !== null && cv !== null) {
          d.title = c.title = "";
        }
        if (dv === null || cv === null || both) { invalid = true; return; }
        debit += dv;
        credit += cv;
      });
      var state = invalid ? "invalid" : (debit === 0n && credit === 0n) ? "empty" : debit === credit ? "ok" : "unbalanced";
      box.hidden = false;
      box.dataset.state = state;
      box.querySelector("[data-total-debit]").textContent = formatSen(debit, decimals);
      box.querySelector("[data-total-credit]").textContent = formatSen(credit, decimals);
      box.querySelector("[data-difference]").textContent = formatSen(debit - credit, decimals);
      box.querySelector("[data-status-text]").textContent = form.dataset["msg" + state.charAt(0).toUpperCase() + state.slice(1)] || "";
      box.classList.toggle("border-success", state === "ok");
      box.classList.toggle("text-success", state === "ok");
      box.classList.toggle("border-danger", state === "unbalanced" || state === "invalid");
      box.classList.toggle("text-danger", state === "unbalanced" || state === "invalid");
      if (submit) submit.disabled = state !== "ok";
    }

    /** Rows are named lines-0-…, lines-1-… in order, as the server's FieldList expects. */
    function renumber() {
      rows().forEach(function (row, i) {
        row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value) el.setAttribute(attr, value.replace(/^lines-(\d+|__i__)-/, "lines-" + i + "-"));
          });
        });
      });
      var removable = rows().length > 2;
      rows().forEach(function (row) {
        var button = row.querySelector("[data-remove-line]");
        if (button) { button.hidden = false; button.disabled = !removable; }
      });
    }

    function addRow() {
      var fragment = template.content.cloneNode(true);
      container.appendChild(fragment);
      renumber();
      check();
      var added = rows()[rows().length - 1];
      var first = added.querySelector("select, input");
      if (first) first.focus();
    }

    form.addEventListener("input", function (event) {
      if (event.target.matches('[data-field="debit"], [data-field="credit"]')) check();
    });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-line]");
      if (button && rows().length > 2) {
        button.closest("[data-line]").remove();
        renumber();
        check();
      }
    });
    if (addButton && template && container) {
      addButton.type = "button"; // Enter in a field then submits the journal, never adds a row
      addButton.addEventListener("click", function (event) {
        event.preventDefault();
        addRow();
      });
    }
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.hasAttribute("data-add-line")) return;
      check();
      if (submit && submit.disabled) { event.preventDefault(); return; }
      // a second click while the page is loading would only replay the same key; keep it calm
      if (submit) setTimeout(function () { submit.disabled = true; }, 0);
    });
    renumber();
    check();
  }

  document.querySelectorAll("form[data-balance-check]").forEach(setup);
})();
