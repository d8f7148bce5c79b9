/* Santri wallet pages: a "print" button ([data-print]) on the wali's login slip. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
