/* The struk page: the Print button, and printing straight away when opened from the POS (?print=1). */
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", function () { window.print(); });
  if (document.body.hasAttribute("data-autoprint")) window.addEventListener("load", function () { window.print(); });
})();
