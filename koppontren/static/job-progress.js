// A background document's page: show its progress and fetch the file when it is ready.
(function () {
  var url = new URL(window.location.href);
  url.searchParams.set("status", "1");
  var bar = document.getElementById("job-progress"), state = document.getElementById("job-state");
  if (!bar || !state) return;
  bar.style.width = (parseInt(bar.dataset.progress, 10) || 0) + "%";
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      var pct = Math.round(s.progress * 100);
      bar.style.width = pct + "%"; bar.textContent = pct + "%";
      if (s.state === "done") { url.searchParams.delete("status"); window.location.replace(url); return; }
      if (s.state === "failed") { state.dataset.state = "failed"; state.textContent = state.dataset.failed || "failed"; return; }
      setTimeout(poll, 1500);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
