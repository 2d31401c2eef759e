/* Live ship-by countdowns, "select all", and the dashboard's charts. No build step. */
(function () {
  function fmt(template, seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    return template.replace("%(h)s", Math.floor(minutes / 60)).replace("%(m)s", minutes % 60);
  }
  var loaded = Date.now();
  function tick() {
    var body = document.body;
    // count on from the server's clock, not the device's: a handheld's clock may be off by minutes
    var serverNow = Number(body.dataset.now) + Math.floor((Date.now() - loaded) / 1000);
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Number(el.dataset.deadline) - serverNow;
      el.textContent = left <= 0 ? fmt(body.dataset.overdue, left) : fmt(body.dataset.left, left);
      if (left <= 0 && !el.classList.contains("u-platform")) {
        el.classList.remove("u-urgent", "u-soon", "u-ok"); el.classList.add("u-overdue");
      }
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-select-all]")) {
      e.target.closest("form").querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = e.target.checked; });
    }
  });
  function charts() {
    var data = document.getElementById("chart-data");
    if (!data || !window.echarts) return;
    var numbers = JSON.parse(data.textContent);
    var colours = { risk: ["#cf1322", "#d46b08", "#ad8b00"] };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = numbers[el.dataset.chart];
      var chart = echarts.init(el);
      var palette = colours[el.dataset.kind];
      chart.setOption({
        grid: { left: 90, right: 16, top: 8, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.labels, inverse: true },
        series: [{ type: "bar", data: d.values.map(function (v, i) {
          return palette ? { value: v, itemStyle: { color: palette[i] } } : v; }), label: { show: true, position: "right" } }],
        animation: false
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); charts(); });
  document.addEventListener("htmx:afterSwap", tick);
})();
