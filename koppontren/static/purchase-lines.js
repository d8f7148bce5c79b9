// The new-purchase form: "Tambah baris" adds a line in the page instead of posting the form
// (without JavaScript the button posts and the server adds the line).
(function () {
  var button = document.querySelector('[data-add-line]');
  var body = document.querySelector('[data-lines]');
  if (!button || !body) { return; }
  button.addEventListener('click', function (event) {
    var rows = body.querySelectorAll('[data-line]');
    var last = rows[rows.length - 1];
    if (!last) { return; }
    event.preventDefault();
    var index = rows.length;
    var copy = last.cloneNode(true);
    copy.querySelectorAll('.invalid-feedback').forEach(function (el) { el.remove(); });
    copy.querySelectorAll('input, select').forEach(function (el) {
      el.name = el.name.replace(/^lines-\d+-/, 'lines-' + index + '-');
      if (el.tagName === 'SELECT') { el.selectedIndex = 0; } else { el.value = ''; }
    });
    body.appendChild(copy);
    copy.querySelector('select, input').focus();
  });
})();
