// A demonstration street's monthly total score as a line.
(function () {
  "use strict";
  var el = document.getElementById("scorechart");
  var data = document.getElementById("score-data");
  if (!el || !data) { return; }
  var d = JSON.parse(data.textContent);
  echarts.init(el).setOption({ grid: { left: 40, right: 20, top: 20, bottom: 30 }, tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: d.months }, yAxis: { type: "value", min: 60, max: 100 },
    series: [{ type: "line", data: d.totals, smooth: true }] });
})();
