/* A watershed's indicator trend and its sediment/runoff by year against the target (ECharts). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ws-charts").textContent);
  var trendEl = document.getElementById("ws-trend");
  if (trendEl && data.trend.years.length) {
    echarts.init(trendEl).setOption({
      tooltip: { trigger: "axis" }, legend: { type: "scroll" }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.trend.years }, yAxis: { type: "value", name: data.labels.reach, min: function (v) { return Math.min(50, Math.floor(v.min / 10) * 10); } },
      series: data.trend.series.map(function (s, i) {
        var line = { name: s.name, type: "line", data: s.reach };
        if (i === 0) { line.markLine = { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#c62828" }, data: [{ yAxis: 100 }] }; }
        return line;
      })
    });
  }
  var hydroEl = document.getElementById("ws-hydro");
  if (hydroEl && data.hydro.length) {
    var years = data.hydro.map(function (h) { return h.year; });
    var series = [
      { name: data.labels.sediment, type: "bar", data: data.hydro.map(function (h) { return h.sediment_t; }) },
      { name: data.labels.runoff, type: "line", yAxisIndex: 1, data: data.hydro.map(function (h) { return h.runoff_wan_m3; }) }
    ];
    if (data.hydro[0].sediment_target_t != null) {
      series.push({ name: data.labels.target, type: "line", lineStyle: { type: "dashed" }, symbol: "none",
                    data: data.hydro.map(function (h) { return h.sediment_target_t; }) });
    }
    if (data.hydro[0].runoff_baseline_wan_m3 != null) {
      series.push({ name: data.labels.baseline, type: "line", yAxisIndex: 1, lineStyle: { type: "dotted" }, symbol: "none",
                    data: data.hydro.map(function (h) { return h.runoff_baseline_wan_m3; }) });
    }
    echarts.init(hydroEl).setOption({
      tooltip: { trigger: "axis" }, legend: {}, grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: "category", data: years }, yAxis: [{ type: "value", name: data.labels.sediment }, { type: "value", name: data.labels.runoff }],
      series: series
    });
  }
})();
