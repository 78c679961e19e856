// The device page's 48-hour chart: series from {{ series|json_script:"series" }}.
(function () {
  "use strict";
  var series = JSON.parse(document.getElementById("series").textContent);
  var el = document.getElementById("chart");
  var codes = Object.keys(series);
  if (!codes.length) {
    var p = document.createElement("p");
    p.className = "muted";
    p.style.padding = "16px";
    p.textContent = el.dataset.empty;
    el.appendChild(p);
    return;
  }
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {type: "scroll", selectedMode: "single"},
    xAxis: {type: "time"}, yAxis: {type: "value", scale: true},
    grid: {left: 50, right: 20, top: 40, bottom: 30},
    series: codes.map(function (c) { return {name: series[c].name + " " + c, type: "line", showSymbol: false,
      data: series[c].points.map(function (p) { return [p[0], p[1]]; })}; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
