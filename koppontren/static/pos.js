/* The cashier's screen (POS): scan or search products, pick a member, take the payment.
 *
 * A barcode scanner types the code and Enter into the focused #scan input: an exact barcode/SKU
 * adds one unit (a repeated scan adds another; "3*code" adds three), anything else lists the
 * products whose name matches. Amounts are kept as BigInt counts of sen, so totals are exact; the
 * server computes and checks everything again. A sale is sent in the API's sale contract, with a
 * fresh Idempotency-Key header: a double click or a retry after a lost answer records it once. Texts come from the
 * #pos element's data-msg-* attributes, so they are translated with the page.
 *
 * "Dompet santri" pays from a santri's wallet: the cashier scans the santri's card into #card-scan
 * (a scanner types the card token and Enter), and Enter pays. The token goes to the server with the
 * sale and is cleared from the field at once; the server checks balance and limits and answers
 * with what is left today when it refuses.
 */
(function () {
  "use strict";

  var root = document.getElementById("pos");
  if (!root) return;
  var D = root.dataset;
  var decimals = parseInt(D.decimals || "0", 10);
  var english = D.locale === "en";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  var $ = function (id) { return document.getElementById(id); };
  var scan = $("scan"), scanResults = $("scan-results"), scanMessage = $("scan-message");
  var cartList = $("cart"), cartEmpty = $("cart-empty"), cartCount = $("cart-count"), lineTemplate = $("cart-line");
  var memberInput = $("member-q"), memberResults = $("member-results"), memberMessage = $("member-message");
  var memberChosen = $("member-chosen"), memberLabel = $("member-label"), memberCredit = $("member-credit");
  var grandTotal = $("grand-total"), cashBox = $("cash-box"), cashInput = $("cash-received"), changeOut = $("change");
  var payButton = $("pay"), errorBox = $("pos-error"), done = $("sale-done"), creditRadio = $("pay-credit");
  var walletBox = $("wallet-box"), cardInput = $("card-scan"), doneWallet = $("done-wallet");

  /** Lines in the order they were added: {product, qty, row}. */
  var cart = [];
  var member = null;
  var byCode = new Map();  // barcode or SKU -> product, so repeated scans need no request
  var saleKey = newKey();
  var busy = false;

  // --- money -------------------------------------------------------------------------------------

  /** "72000" / "72000.50" (the server's decimal strings) -> sen. */
  function apiSen(text) {
    if (text === null || text === undefined) return null;
    var parts = String(text).split(".");
    return BigInt(parts[0]) * 100n + BigInt(((parts[1] || "") + "00").slice(0, 2));
  }

  /** What a cashier types: "100.000", "100000", "Rp100.000" ("100.000,50" with decimals) -> sen, 0n when empty, null when not an amount. */
  function typedSen(text) {
    var s = (text || "").replace(/[\s\u00a0]/g, "");
    if (s.slice(0, 2).toLowerCase() === "rp") s = s.slice(2);
    if (s === "") return 0n;
    if (!/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(s) && !/^\d+(,\d+)?$/.test(s)) return null;
    var parts = s.replace(/\./g, "").split(",");
    var frac = (parts[1] || "").replace(/0+$/, "");
    if (frac.length > decimals) return null;
    return BigInt(parts[0]) * 100n + BigInt((frac + "00").slice(0, 2));
  }

  function number(sen) {
    var negative = sen < 0n;
    if (negative) sen = -sen;
    var whole = (sen / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, english ? "," : ".");
    if (decimals > 0) whole += (english ? "." : ",") + (sen % 100n).toString().padStart(2, "0").slice(0, decimals);
    return (negative ? "-" : "") + whole;
  }

  /** Rp72.000 / IDR 72,000, like the server's format_idr. */
  function idr(sen) {
    var sign = sen < 0n ? "-" : "";
    var body = number(sen < 0n ? -sen : sen);
    return sign + (english ? "IDR " + body : "Rp" + body);
  }

  function decimalText(sen) {
    var whole = (sen / 100n).toString();
    return decimals > 0 ? whole + "." + (sen % 100n).toString().padStart(2, "0") : whole;
  }

  function msg(name, values) {
    var text = D["msg" + name] || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "pos-" + Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // --- lookups -----------------------------------------------------------------------------------

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function remember(product) {
    if (product.barcode) byCode.set(product.barcode, product);
    byCode.set(product.sku, product);
  }

  function showResults(box, items, label, choose) {
    box.textContent = "";
    items.forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action";
      button.setAttribute("role", "option");
      label(button, item);
      button.addEventListener("click", function () { choose(item); });
      box.appendChild(button);
    });
    box.hidden = items.length === 0;
  }

  function productLabel(button, p) {
    var strong = document.createElement("strong");
    strong.textContent = p.name;
    var small = document.createElement("span");
    small.className = "small text-muted ms-1";
    small.textContent = p.sku + " · " + idr(priceOf(p)) + " · " + p.qty + " " + p.unit;
    button.appendChild(strong);
    button.appendChild(small);
  }

  function parseScan(text) {
    var m = /^(\d{1,4})\s*[*xX]\s*(.+)$/.exec(text);
    return m ? {qty: parseInt(m[1], 10), code: m[2].trim()} : {qty: 1, code: text};
  }

  var searchSeq = 0;  // the latest search whose list may be shown; older answers only add exact hits

  /** Look a code or name up. From Enter, an exact barcode/SKU is added even if the cashier has
   *  scanned the next item meanwhile; the list of matches is shown only for the latest search. */
  function searchProducts(text, fromEnter) {
    var seq = ++searchSeq;
    var wanted = parseScan(text);
    return getJSON(D.productsUrl + "?q=" + encodeURIComponent(wanted.code)).then(function (data) {
      data.products.forEach(remember);
      if (fromEnter && data.exact) {
        remember(data.exact);
        add(data.exact, wanted.qty);
        return;
      }
      if (seq !== searchSeq) return;
      if (!fromEnter && scan.value.trim() !== text) return;
      showResults(scanResults, data.products, productLabel, function (p) {
        scan.value = "";
        add(p, wanted.qty);
      });
      scanMessage.textContent = fromEnter && data.products.length === 0 ? msg("NotFound") + " (" + wanted.code + ")" : "";
    }).catch(function () { if (fromEnter) scanMessage.textContent = msg("Network"); });
  }

  var typingTimer = null;
  scan.addEventListener("input", function () {
    clearTimeout(typingTimer);
    var text = scan.value.trim();
    scanMessage.textContent = "";
    if (text.length < 2) { scanResults.hidden = true; searchSeq++; return; }
    typingTimer = setTimeout(function () { searchProducts(text, false); }, 250);
  });

  scan.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { scan.value = ""; scanResults.hidden = true; return; }
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(typingTimer);
    var text = scan.value.trim();
    if (!text) { if (event.ctrlKey) pay(); return; }
    scan.value = "";  // ready for the next scan at once
    scanResults.hidden = true;
    var wanted = parseScan(text);
    var known = byCode.get(wanted.code);
    if (known) { searchSeq++; add(known, wanted.qty); return; }
    searchProducts(text, true);
  });

  function memberText(m) { return m.number + " " + m.name; }

  var memberSeq = 0;
  function searchMembers(text, fromEnter) {
    var seq = ++memberSeq;
    return getJSON(D.membersUrl + "?q=" + encodeURIComponent(text)).then(function (data) {
      if (seq !== memberSeq) return;
      if (fromEnter && data.exact) { chooseMember(data.exact); return; }
      if (fromEnter && data.members.length === 1) { chooseMember(data.members[0]); return; }
      showResults(memberResults, data.members, function (button, m) {
        button.textContent = memberText(m) + " · " + m.category_label;
      }, chooseMember);
      memberMessage.textContent = fromEnter && data.members.length === 0 ? msg("MemberNotFound") : "";
    }).catch(function () { if (fromEnter) memberMessage.textContent = msg("Network"); });
  }

  var memberTimer = null;
  memberInput.addEventListener("input", function () {
    clearTimeout(memberTimer);
    var text = memberInput.value.trim();
    memberMessage.textContent = "";
    if (text.length < 2) { memberResults.hidden = true; memberSeq++; return; }
    memberTimer = setTimeout(function () { searchMembers(text, false); }, 250);
  });
  memberInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(memberTimer);
    var text = memberInput.value.trim();
    if (text) searchMembers(text, true);
  });

  function chooseMember(m) {
    member = m;
    memberSeq++;
    memberResults.hidden = true;
    memberInput.value = "";
    memberMessage.textContent = "";
    memberLabel.textContent = memberText(m);
    memberCredit.textContent = idr(apiSen(m.credit_available));
    memberChosen.hidden = false;
    creditRadio.disabled = false;
    render();
    scan.focus();
  }

  $("member-clear").addEventListener("click", function () {
    member = null;
    memberChosen.hidden = true;
    creditRadio.disabled = true;
    if (creditRadio.checked) $("pay-cash").checked = true;
    render();
    memberInput.focus();
  });

  // --- the cart ----------------------------------------------------------------------------------

  function priceOf(p) {
    return apiSen(member && p.member_price !== null ? p.member_price : p.price);
  }

  function add(product, qty) {
    clearSaleDone();
    scanResults.hidden = true;
    scanMessage.textContent = "";
    var line = cart.find(function (l) { return l.product.id === product.id; });
    if (line) {
      line.product = product;
      line.qty += qty;
    } else {
      line = {product: product, qty: qty, row: lineTemplate.content.firstElementChild.cloneNode(true)};
      bindRow(line);
      cart.push(line);
      cartList.appendChild(line.row);
    }
    render();
    line.row.classList.remove("pos-flash");
    void line.row.offsetWidth;  // restart the highlight
    line.row.classList.add("pos-flash");
    scan.focus();
  }

  function bindRow(line) {
    var row = line.row;
    row.dataset.productId = String(line.product.id);
    row.querySelector("[data-remove]").setAttribute("aria-label", msg("Remove") + " " + line.product.name);
    row.querySelector("[data-remove]").addEventListener("click", function () {
      cart = cart.filter(function (l) { return l !== line; });
      row.remove();
      render();
      scan.focus();
    });
    row.querySelector("[data-minus]").addEventListener("click", function () { setQty(line, line.qty - 1); });
    row.querySelector("[data-plus]").addEventListener("click", function () { setQty(line, line.qty + 1); });
    var input = row.querySelector("[data-qty]");
    input.addEventListener("input", function () {
      var n = parseInt(input.value, 10);
      if (n > 0) { line.qty = n; render(true); }
    });
    input.addEventListener("change", function () { setQty(line, parseInt(input.value, 10) || 1); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); setQty(line, parseInt(input.value, 10) || 1); scan.focus(); }
    });
  }

  function setQty(line, qty) {
    line.qty = Math.max(1, Math.min(qty || 1, 1000000));
    render();
  }

  function total() {
    return cart.reduce(function (sum, l) { return sum + priceOf(l.product) * BigInt(l.qty); }, 0n);
  }

  function payment() {
    var checked = root.querySelector('input[name="payment"]:checked');
    return checked ? checked.value : "cash";
  }

  /** Redraw totals, prices and warnings; ``typing`` leaves the focused quantity input alone. */
  function render(typing) {
    cart.forEach(function (line) {
      var row = line.row, p = line.product;
      row.querySelector("[data-name]").textContent = p.name;
      row.querySelector("[data-sku]").textContent = p.sku;
      row.querySelector("[data-price]").textContent = line.qty + " × " + idr(priceOf(p));
      var memberPrice = row.querySelector("[data-member-price]");
      memberPrice.hidden = !(member && p.member_price !== null);
      memberPrice.textContent = msg("MemberPrice");
      var warning = row.querySelector("[data-stock-warning]");
      warning.hidden = line.qty <= p.qty;
      warning.textContent = msg("Stock", {q: p.qty + " " + p.unit});
      var input = row.querySelector("[data-qty]");
      if (!typing || document.activeElement !== input) input.value = String(line.qty);
      row.querySelector("[data-line-total]").textContent = idr(priceOf(p) * BigInt(line.qty));
    });
    var sum = total();
    grandTotal.textContent = idr(sum);
    cartCount.textContent = String(cart.reduce(function (n, l) { return n + l.qty; }, 0));
    cartEmpty.hidden = cart.length > 0;
    var cash = payment() === "cash";
    cashBox.hidden = !cash;
    if (walletBox) walletBox.hidden = payment() !== "wallet";
    var received = typedSen(cashInput.value);
    cashInput.classList.toggle("is-invalid", received === null);
    changeOut.classList.remove("text-danger");
    if (received === null || received === 0n) {
      changeOut.textContent = idr(0n);
    } else if (received < sum) {
      changeOut.textContent = msg("Short", {a: idr(sum - received)});
      changeOut.classList.add("text-danger");
    } else {
      changeOut.textContent = idr(received - sum);
    }
    if (member) {
      var left = apiSen(member.credit_available);
      var over = payment() === "credit" && sum > left;
      memberCredit.textContent = idr(left);
      memberCredit.classList.toggle("text-danger", over);
      memberCredit.title = over ? msg("CreditOver", {a: idr(left)}) : "";
    }
  }

  root.querySelectorAll('input[name="payment"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      render();
      if (payment() === "cash") cashInput.focus();
      if (payment() === "wallet" && cardInput) cardInput.focus();
    });
  });
  if (cardInput) {
    cardInput.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      pay();
    });
  }
  cashInput.addEventListener("input", function () { render(true); });
  cashInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); pay(); }
  });
  root.querySelectorAll("[data-cash]").forEach(function (button) {
    button.addEventListener("click", function () {
      var value = button.dataset.cash === "exact" ? total() : BigInt(button.dataset.cash) * 100n;
      cashInput.value = number(value);
      render();
    });
  });

  // --- paying ------------------------------------------------------------------------------------

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function clearSaleDone() {
    done.hidden = true;
  }

  function pay() {
    if (busy) return;  // a double click while the first request is on its way
    showError("");
    if (cart.length === 0) { showError(msg("Empty")); scan.focus(); return; }
    var received = typedSen(cashInput.value);
    if (payment() === "cash" && received === null) { cashInput.focus(); return; }
    var card = cardInput ? cardInput.value.trim() : "";
    if (payment() === "wallet" && !card) { showError(msg("CardMissing")); cardInput.focus(); return; }
    // the API's sale contract (POST /api/v1/coops/{coop}/sales): absent fields are left out, not null
    var body = {
      lines: cart.map(function (l) { return {product_id: l.product.id, quantity: l.qty}; }),
      payment: payment()
    };
    if (member) body.member = member.number;
    if (payment() === "cash" && received) body.cash_received = decimalText(received);
    if (payment() === "wallet") {
      body.card = card;
      cardInput.value = "";  // the token is not left on the screen; a refusal asks for a new scan
    }
    busy = true;
    payButton.disabled = true;
    fetch(D.salesUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": saleKey},
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        showError(response.status === 400 ? msg("Expired") : response.status === 403 ? msg("Forbidden") : msg("Error"));
        return;
      }
      return response.json().then(function (data) {
        if (response.status === 201) finished(data);
        else {
          showError((data.error && data.error.message) || msg("Error"));
          if (payment() === "wallet" && cardInput) cardInput.focus();
        }
      });
    }).catch(function () {
      showError(msg("Network"));  // the key stays: pressing Bayar again cannot sell twice
    }).then(function () {
      busy = false;
      payButton.disabled = false;
    });
  }

  function finished(data) {
    $("done-voucher").textContent = data.voucher;
    $("done-total").textContent = idr(apiSen(data.total));
    $("done-change-box").hidden = data.change === null;
    if (data.change !== null) $("done-change").textContent = idr(apiSen(data.change));
    if (doneWallet) {
      var w = data.wallet;
      doneWallet.hidden = !w;
      doneWallet.textContent = w ? msg("WalletDone", {n: w.name, b: idr(apiSen(w.balance))}) : "";
    }
    $("receipt-link").href = data.receipt_url + "?print=1";
    $("receipt-pdf").href = data.receipt_pdf_url;
    done.hidden = false;
    cart.forEach(function (l) { l.row.remove(); });
    cart = [];
    byCode.clear();  // stock changed: the next scan asks the server again
    member = null;
    memberChosen.hidden = true;
    creditRadio.disabled = true;
    var keepWallet = payment() === "wallet";  // a queue of santri pays by card one after another
    $(keepWallet ? "pay-wallet" : "pay-cash").checked = true;
    cashInput.value = "";
    if (cardInput) cardInput.value = "";
    saleKey = newKey();
    render();
    scan.focus();
  }

  payButton.addEventListener("click", pay);
  document.addEventListener("keydown", function (event) {
    if (event.key === "F9") { event.preventDefault(); pay(); }
  });
  document.addEventListener("click", function (event) {
    if (!scanResults.contains(event.target) && event.target !== scan) scanResults.hidden = true;
    if (!memberResults.contains(event.target) && event.target !== memberInput) memberResults.hidden = true;
  });

  root.hidden = false;
  render();
  scan.focus();
})();
