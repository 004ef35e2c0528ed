/* Draws every dashboard chart from its JSON data block (no inline script, so the pages keep a
   strict Content-Security-Policy) and turns a click on an LEA's mark into that LEA's page. */
(function () {
  "use strict";
  function draw(div) {
    var block = document.getElementById(div.getAttribute("data-figure"));
    if (!block) { return; }
    var spec = JSON.parse(block.textContent);
    Plotly.newPlot(div, spec.data, spec.layout, spec.config).then(function () {
      div.setAttribute("data-drawn", "true");
    });
    var meta = spec.layout && spec.layout.meta;
    if (meta && meta.drilldown) {
      div.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var id = point && point.customdata && point.customdata[0];
        if (id) {
          window.location.href = "/dashboards/lea/" + encodeURIComponent(id);
        }
      });
    }
  }
  function drawAll() {
    var charts = document.querySelectorAll("div.plotly-chart[data-figure]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
