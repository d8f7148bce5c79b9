// Bulk simpanan wajib: the header checkbox ticks or clears every member's box.
(function () {
  var all = document.getElementById('bulk-all');
  if (all) all.addEventListener('change', function () {
    document.querySelectorAll('input[name="members"]').forEach(function (box) { box.checked = all.checked; });
  });
})();
