// samskab's progressive enhancement on top of DKFDS: without it every page works.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    // Each table cell carries its column's header, for the phone layout (CSS shows it before the value).
    document.querySelectorAll(".table-wrap table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) { if (heads[i] && td.tagName === "TD" && td.colSpan === 1) { td.setAttribute("data-title", heads[i]); } });
      });
    });
    // DKFDS: the error summary takes focus, its links focus the field; accordions, alerts.
    if (window.DKFDS && typeof window.DKFDS.init === "function") {
      try { window.DKFDS.init(); } catch (e) { /* a component without its markup: the page still works */ }
    }
    var summary = document.getElementById("fejlopsummering");
    if (summary && document.activeElement !== summary) { summary.focus(); }
    // A searchable code picker: typing in the search box narrows the list.
    document.querySelectorAll("[data-filter-for]").forEach(function (input) {
      var select = document.getElementById(input.getAttribute("data-filter-for"));
      if (!select) { return; }
      input.parentElement.hidden = false;
      input.addEventListener("input", function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        select.querySelectorAll("option").forEach(function (option) {
          if (!option.value) { return; }
          var text = (option.textContent + " " + (option.parentElement.label || "")).toLowerCase();
          var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
          option.hidden = !hit; option.disabled = !hit && !option.selected;
        });
        select.querySelectorAll("optgroup").forEach(function (group) {
          group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
        });
      });
    });
  });
})();
