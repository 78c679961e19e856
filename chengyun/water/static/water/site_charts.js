/* Section / outfall charts: class trend against the target, and each factor against its GB 3838 limits. */
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || !window.echarts) { return; }
  var gettext = window.gettext || function (s) { return s; };
  var LABELS = ["", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"];
  var LIMIT_COLOURS = ["#1e88e5", "#26a69a", "#43a047", "#fdd835", "#fb8c00"];
  var charts = [];

  function chartBox(title) {
    var box = document.createElement("div");
    box.className = "panel";
    box.innerHTML = "<h2></h2><div class='chart'></div>";
    box.querySelector("h2").textContent = title;
    root.appendChild(box);
    var c = echarts.init(box.querySelector(".chart"));
    charts.push(c);
    return c;
  }

  function load(period, days) {
    root.innerHTML = "";
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    fetch(root.dataset.api + "?period=" + period + "&days=" + days, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      if (!data.factors || !data.factors.length) {
        root.innerHTML = "<p class='muted'>" + gettext("所选时段暂无评价数据") + "</p>";
        return;
      }
      if (data.target_class) {
        var c = chartBox(gettext("水质类别变化"));
        c.setOption({
          tooltip: { trigger: "axis", valueFormatter: function (v) { return v ? LABELS[v] + gettext("类") : "—"; } },
          grid: { left: 50, right: 20, top: 20, bottom: 40 },
          xAxis: { type: "time" },
          yAxis: { type: "value", min: 1, max: 6, interval: 1, inverse: true, axisLabel: { formatter: function (v) { return LABELS[v]; } } },
          series: [{ type: "line", step: "middle", data: data.classes, symbolSize: 4, lineStyle: { color: "#1f5fa8" },
            markLine: { symbol: "none", label: { formatter: gettext("目标") + " " + LABELS[data.target_class] }, lineStyle: { color: "#d23c3c", type: "dashed" },
              data: [{ yAxis: data.target_class }] } }]
        });
      }
      data.factors.forEach(function (f) {
        var c = chartBox(f.name + (f.unit ? "（" + f.unit + "）" : ""));
        var marks = [];
        if (f.limits) {
          var seen = {};
          f.limits.forEach(function (v, i) {
            if (seen[v]) { return; }
            seen[v] = true;
            marks.push({ yAxis: v, lineStyle: { color: LIMIT_COLOURS[i], type: "dashed" }, label: { formatter: LABELS[i + 1] + " " + v, position: "insideEndTop" } });
          });
        }
        c.setOption({
          tooltip: { trigger: "axis" },
          grid: { left: 56, right: 20, top: 20, bottom: 40 },
          xAxis: { type: "time" },
          yAxis: { type: "value", scale: true },
          series: [{ type: "line", name: f.name, data: f.points, showSymbol: false, lineStyle: { color: "#1f5fa8" },
            markLine: marks.length ? { symbol: "none", silent: true, data: marks } : undefined }]
        });
      });
      root.dataset.loaded = "1";
    });
  }

  document.querySelectorAll("[data-period]").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll("[data-period]").forEach(function (x) { x.classList.remove("primary"); });
      b.classList.add("primary");
      load(b.dataset.period, b.dataset.days);
    });
  });
  load(root.dataset.period || "hour", root.dataset.days || "7");
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
