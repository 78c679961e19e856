// The demonstration areas' expansion: areas named, compounds inside them and compounds sorting, month by month.
(function () {
  "use strict";
  var el = document.getElementById("expchart");
  var data = document.getElementById("expansion-data");
  if (!el || !data) { return; }
  var rows = JSON.parse(data.textContent);
  var months = rows.map(function (r) { return r.month; });
  echarts.init(el).setOption({
    grid: { left: 50, right: 50, top: 30, bottom: 30 }, tooltip: { trigger: "axis" },
    legend: { data: [el.dataset.labelCompounds, el.dataset.labelSorting, el.dataset.labelAreas] },
    xAxis: { type: "category", data: months },
    yAxis: [{ type: "value" }, { type: "value", minInterval: 1 }],
    series: [
      { name: el.dataset.labelCompounds, type: "line", data: rows.map(function (r) { return r.compounds; }) },
      { name: el.dataset.labelSorting, type: "line", data: rows.map(function (r) { return r.sorting; }) },
      { name: el.dataset.labelAreas, type: "bar", yAxisIndex: 1, data: rows.map(function (r) { return r.areas; }) }
    ]
  });
  el.classList.add("loaded");
})();
