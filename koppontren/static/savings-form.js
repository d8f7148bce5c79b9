// Deposit form: show only the fields of the chosen kind (the server checks everything again).
(function () {
  var form = document.getElementById('deposit-form');
  if (!form) return;
  var kind = form.querySelector('select[name="kind"]');
  function update() {
    form.querySelectorAll('[data-kind]').forEach(function (el) {
      el.hidden = el.getAttribute('data-kind').split(' ').indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener('change', update);
  update();
})();
