/* The adamlab explorer: GD, heavy ball, Nesterov and Adam on a 2-D quadratic, with the heavy-ball
 * (alpha, beta) phase diagram. Plain JavaScript, no libraries, no network: it runs in the static book.
 *
 * Its Python twin is src/adamlab/lab/explorer.py; every formula below is written in the same order
 * as there (and as adamlab.optim.functional, i.e. torch.optim), so the two agree to rounding.
 * tests/tools/test_explorer_browser.py moves the sliders and compares window.adamlabExplorer.state()
 * with the twin at the same settings.
 */
(function () {
  "use strict";

  var START = [-1.5, 0.6];  // at phi = 0; turned with the problem (start(angle))
  var DIVERGED = 1e6;
  var VIEW = { x0: -2.6, x1: 2.6, y0: -1.625, y1: 1.625 };
  var COLORS = { gd: "#1f77b4", heavy_ball: "#d62728", nesterov: "#2ca02c", adam: "#9467bd" };
  var NAMES = { gd: "gradient descent", heavy_ball: "heavy ball", nesterov: "Nesterov", adam: "Adam" };

  // Sliders. `values` lists the settings of a slider whose positions are not evenly spaced.
  var SLIDERS = [
    { key: "kappa", label: "condition number \u03ba", group: "problem",
      values: [1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000], value: 20 },
    { key: "angle", label: "rotation \u03c6 (degrees)", group: "problem", min: 0, max: 90, step: 5, value: 0 },
    { key: "steps", label: "steps", group: "problem", min: 10, max: 200, step: 10, value: 60 },
    { key: "lr", label: "\u03b1 (learning rate)", group: "momentum", min: 0.01, max: 4, step: 0.01, value: 0.9 },
    { key: "momentum", label: "\u03b2 (momentum)", group: "momentum", min: 0, max: 0.99, step: 0.01, value: 0.6 },
    { key: "adam_lr", label: "Adam \u03b1", group: "adam",
      values: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], value: 0.1 },
    { key: "beta1", label: "\u03b2\u2081", group: "adam", min: 0, max: 0.99, step: 0.01, value: 0.9 },
    { key: "beta2", label: "\u03b2\u2082", group: "adam", values: [0.5, 0.9, 0.95, 0.99, 0.999, 0.9999], value: 0.999 },
    { key: "eps", label: "\u03b5", group: "adam", values: [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 1], value: 1e-8 }
  ];

  // ------------------------------------------------------------------ the numbers (twin: lab/explorer.py)

  function hessian(kappa, angle) {
    var lam1 = 1.0 / kappa, lam2 = 1.0;
    var rad = angle * Math.PI / 180;
    var c = Math.cos(rad), s = Math.sin(rad);
    var a11 = lam1 * c * c + lam2 * s * s;
    var a12 = (lam1 - lam2) * c * s;
    var a22 = lam1 * s * s + lam2 * c * c;
    return [[a11, a12], [a12, a22]];
  }

  function start(angle) {
    var rad = angle * Math.PI / 180;
    var c = Math.cos(rad), s = Math.sin(rad);
    return [c * START[0] - s * START[1], s * START[0] + c * START[1]];
  }

  function gradient(A, p) {
    return [A[0][0] * p[0] + A[0][1] * p[1], A[1][0] * p[0] + A[1][1] * p[1]];
  }

  function value(A, p) {
    var g = gradient(A, p);
    return 0.5 * (p[0] * g[0] + p[1] * g[1]);
  }

  function diverged(p) {
    return !(Math.abs(p[0]) <= DIVERGED && Math.abs(p[1]) <= DIVERGED);
  }

  // torch.optim.SGD: b = mu b + g (b = g on the first step); theta -= lr * (nesterov ? g + mu b : b)
  function pathMomentum(A, x0, lr, mu, steps, nesterov) {
    var theta = x0.slice(), buf = null, path = [theta];
    for (var k = 0; k < steps; k++) {
      var g = gradient(A, theta);
      if (buf === null) buf = g.slice();
      else buf = [mu * buf[0] + g[0], mu * buf[1] + g[1]];
      var d = nesterov ? [g[0] + mu * buf[0], g[1] + mu * buf[1]] : buf;
      theta = [theta[0] - lr * d[0], theta[1] - lr * d[1]];
      path.push(theta);
      if (diverged(theta)) break;
    }
    return path;
  }

  // torch.optim.Adam, as adamlab.optim.adam_step writes it
  function pathAdam(A, x0, lr, b1, b2, eps, steps) {
    var theta = x0.slice(), m = [0, 0], v = [0, 0], path = [theta];
    for (var t = 1; t <= steps; t++) {
      var g = gradient(A, theta);
      var next = [0, 0];
      var bc1 = 1.0 - Math.pow(b1, t), bc2 = 1.0 - Math.pow(b2, t);
      for (var i = 0; i < 2; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        var mHat = m[i] / bc1, vHat = v[i] / bc2;
        next[i] = theta[i] - lr * mHat / (Math.sqrt(vHat) + eps);
      }
      theta = next;
      path.push(theta);
      if (diverged(theta)) break;
    }
    return path;
  }

  function spectralRadius(lr, mu, lam, nesterov) {
    var a, c;
    if (nesterov) { var q = 1.0 - lr * lam; a = q * (1.0 + mu); c = q * mu; }
    else { a = 1.0 + mu - lr * lam; c = mu; }
    var disc = a * a - 4.0 * c;
    if (disc >= 0.0) { var r = Math.sqrt(disc); return Math.max(Math.abs(a + r), Math.abs(a - r)) / 2.0; }
    return Math.sqrt(c);
  }

  function rate(lr, mu, kappa, nesterov) {
    return Math.max(spectralRadius(lr, mu, 1.0 / kappa, nesterov), spectralRadius(lr, mu, 1.0, nesterov));
  }

  function criticalLr(mu, lam) {
    var r = Math.sqrt(mu);
    return [(1.0 - r) * (1.0 - r) / lam, (1.0 + r) * (1.0 + r) / lam];
  }

  function polyak(kappa) {
    var lr = 4.0 / Math.pow(Math.sqrt(1.0) + Math.sqrt(1.0 / kappa), 2);
    var beta = Math.pow((Math.sqrt(kappa) - 1.0) / (Math.sqrt(kappa) + 1.0), 2);
    return [lr, beta];
  }

  function explore(s) {
    var A = hessian(s.kappa, s.angle), x0 = start(s.angle);
    var paths = {
      gd: pathMomentum(A, x0, s.lr, 0.0, s.steps, false),
      heavy_ball: pathMomentum(A, x0, s.lr, s.momentum, s.steps, false),
      nesterov: pathMomentum(A, x0, s.lr, s.momentum, s.steps, true),
      adam: pathAdam(A, x0, s.adam_lr, s.beta1, s.beta2, s.eps, s.steps)
    };
    var finals = {};
    Object.keys(paths).forEach(function (name) {
      var end = paths[name][paths[name].length - 1];
      finals[name] = { x: end[0], y: end[1], f: value(A, end), steps: paths[name].length - 1, diverged: diverged(end) };
    });
    return {
      settings: Object.assign({}, s), paths: paths, finals: finals, A: A,
      rate_heavy_ball: rate(s.lr, s.momentum, s.kappa, false),
      rate_nesterov: rate(s.lr, s.momentum, s.kappa, true),
      rate_gd: rate(s.lr, 0.0, s.kappa, false),
      critical: [criticalLr(s.momentum, 1.0 / s.kappa), criticalLr(s.momentum, 1.0)],
      polyak: polyak(s.kappa)
    };
  }

  // ------------------------------------------------------------------------------------------ drawing

  function setupCanvas(canvas) {
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx: ctx, w: w, h: h };
  }

  function drawPaths(canvas, st, shown) {
    var c = setupCanvas(canvas), ctx = c.ctx, w = c.w, h = c.h;
    var sx = w / (VIEW.x1 - VIEW.x0), sy = h / (VIEW.y1 - VIEW.y0);
    var X = function (x) { return (x - VIEW.x0) * sx; }, Y = function (y) { return (VIEW.y1 - y) * sy; };
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    var s = st.settings, x0 = start(s.angle), f0 = value(st.A, x0), rad = s.angle * Math.PI / 180;
    ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
    for (var k = 0; k < 12; k++) {  // contours f = f0 * 0.4^k: semi-axes sqrt(2 f kappa) along phi, sqrt(2 f) across
      var level = f0 * Math.pow(0.4, k);
      ctx.beginPath();
      ctx.ellipse(X(0), Y(0), Math.sqrt(2 * level * s.kappa) * sx, Math.sqrt(2 * level) * sy, -rad, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.fillStyle = "#000"; ctx.beginPath(); ctx.arc(X(0), Y(0), 3, 0, 2 * Math.PI); ctx.fill();
    Object.keys(st.paths).forEach(function (name) {
      if (!shown[name]) return;
      var path = st.paths[name];
      ctx.strokeStyle = COLORS[name]; ctx.fillStyle = COLORS[name]; ctx.lineWidth = 1.5;
      ctx.beginPath();
      path.forEach(function (p, i) {
        var px = Math.max(-1e4, Math.min(1e4, X(p[0]))), py = Math.max(-1e4, Math.min(1e4, Y(p[1])));
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      ctx.stroke();
      path.forEach(function (p) {
        if (Math.abs(p[0]) < 10 && Math.abs(p[1]) < 10) { ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 1.8, 0, 2 * Math.PI); ctx.fill(); }
      });
    });
    ctx.fillStyle = "#000"; ctx.font = "12px sans-serif";
    ctx.fillText("start", X(x0[0]) + 4, Y(x0[1]) - 4);
  }

  function drawLosses(canvas, st, shown) {
    var c = setupCanvas(canvas), ctx = c.ctx, w = c.w, h = c.h, pad = 34;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    var top = 2, bottom = -16, n = st.settings.steps;
    var X = function (k) { return pad + (w - pad - 6) * k / n; };
    var Y = function (lf) { return 6 + (h - pad) * (top - Math.max(bottom, Math.min(top, lf))) / (top - bottom); };
    ctx.strokeStyle = "#ddd"; ctx.fillStyle = "#444"; ctx.font = "11px sans-serif"; ctx.lineWidth = 1;
    for (var e = top; e >= bottom; e -= 4) {
      ctx.beginPath(); ctx.moveTo(pad, Y(e)); ctx.lineTo(w - 6, Y(e)); ctx.stroke();
      ctx.fillText("1e" + e, 2, Y(e) + 4);
    }
    ctx.fillText("step", w / 2, h - 4);
    Object.keys(st.paths).forEach(function (name) {
      if (!shown[name]) return;
      ctx.strokeStyle = COLORS[name]; ctx.lineWidth = 1.5; ctx.beginPath();
      st.paths[name].forEach(function (p, k) {
        var f = value(st.A, p), lf = f > 0 ? Math.log10(f) : bottom;
        if (!isFinite(lf)) lf = top;
        if (k === 0) ctx.moveTo(X(k), Y(lf)); else ctx.lineTo(X(k), Y(lf));
      });
      ctx.stroke();
    });
  }

  var PHASE = { a0: 0, a1: 4, b0: 0, b1: 1 };

  function drawPhase(canvas, st) {
    var c = setupCanvas(canvas), ctx = c.ctx, w = c.w, h = c.h, pad = 30;
    var pw = w - pad - 6, ph = h - pad - 6;
    var X = function (a) { return pad + pw * (a - PHASE.a0) / (PHASE.a1 - PHASE.a0); };
    var Y = function (b) { return 6 + ph * (PHASE.b1 - b) / (PHASE.b1 - PHASE.b0); };
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    var s = st.settings, nx = 100, ny = 60;
    for (var i = 0; i < nx; i++) {
      for (var j = 0; j < ny; j++) {
        var a = PHASE.a0 + (i + 0.5) * (PHASE.a1 - PHASE.a0) / nx, b = PHASE.b0 + (j + 0.5) * (PHASE.b1 - PHASE.b0) / ny;
        var r = rate(a, b, s.kappa, false), color;
        if (!(r < 1)) color = "#f6d5d1";  // diverges
        else {  // steps to gain a factor 10: -1/log10(r); darker = faster
          var t = Math.min(1, Math.log10(-1 / Math.log10(r)) / 3);
          var l = Math.round(35 + 60 * t);
          color = "hsl(210, 60%, " + l + "%)";
        }
        ctx.fillStyle = color;
        ctx.fillRect(X(a) - pw / nx / 2, Y(b) - ph / ny / 2, pw / nx + 1, ph / ny + 1);
      }
    }
    function curve(fn, style, dash) {
      ctx.strokeStyle = style; ctx.setLineDash(dash || []); ctx.lineWidth = 1.5; ctx.beginPath();
      var started = false;
      for (var k = 0; k <= 200; k++) {
        var b = PHASE.b0 + (PHASE.b1 - PHASE.b0) * k / 200 * 0.999, a = fn(b);
        if (a < PHASE.a0 || a > PHASE.a1) { started = false; continue; }
        if (!started) { ctx.moveTo(X(a), Y(b)); started = true; } else ctx.lineTo(X(a), Y(b));
      }
      ctx.stroke(); ctx.setLineDash([]);
    }
    curve(function (b) { return 2 * (1 + b); }, "#000", [4, 3]);  // stability edge on lambda = 1
    curve(function (b) { return criticalLr(b, 1.0)[0]; }, "#ff7f0e");  // critical damping, lambda = 1
    curve(function (b) { return criticalLr(b, 1.0)[1]; }, "#ff7f0e");
    curve(function (b) { return criticalLr(b, 1.0 / s.kappa)[0]; }, "#8c564b");  // critical damping, lambda = 1/kappa
    var opt = st.polyak;
    ctx.fillStyle = "#000"; ctx.font = "14px sans-serif"; ctx.fillText("\u2605", X(opt[0]) - 6, Y(opt[1]) + 5);
    ctx.strokeStyle = "#000"; ctx.fillStyle = COLORS.heavy_ball; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(X(s.lr), Y(s.momentum), 5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
    for (var aa = 0; aa <= 4; aa++) ctx.fillText(String(aa), X(aa) - 3, h - 12);
    ctx.fillText("\u03b1", w - 14, h - 24);
    [0, 0.5, 1].forEach(function (bb) { ctx.fillText(String(bb), 4, Y(bb) + 4); });
    ctx.fillText("\u03b2", 8, 20);
    canvas._toAlphaBeta = function (px, py) {
      return [PHASE.a0 + (px - pad) / pw * (PHASE.a1 - PHASE.a0), PHASE.b1 - (py - 6) / ph * (PHASE.b1 - PHASE.b0)];
    };
  }

  // ---------------------------------------------------------------------------------------- the widget

  function fmt(x) {
    if (!isFinite(x)) return String(x);
    if (x === 0) return "0";
    return x.toExponential(4);
  }

  function build(root) {
    var inputs = {}, outputs = {}, shown = { gd: true, heavy_ball: true, nesterov: true, adam: true };
    root.innerHTML = "";
    var controls = document.createElement("div");
    controls.className = "ax-controls";
    var groups = { problem: "Problem", momentum: "GD, heavy ball, Nesterov", adam: "Adam" };
    Object.keys(groups).forEach(function (g) {
      var fs = document.createElement("fieldset");
      fs.className = "ax-group";
      var legend = document.createElement("legend");
      legend.textContent = groups[g];
      fs.appendChild(legend);
      SLIDERS.filter(function (d) { return d.group === g; }).forEach(function (d) {
        var label = document.createElement("label");
        label.className = "ax-slider";
        var name = document.createElement("span");
        name.textContent = d.label;
        var input = document.createElement("input");
        input.type = "range";
        input.name = d.key;
        input.setAttribute("data-key", d.key);
        input.setAttribute("aria-label", d.label);
        if (d.values) {
          input.min = 0; input.max = d.values.length - 1; input.step = 1; input.value = d.values.indexOf(d.value);
        } else {
          input.min = d.min; input.max = d.max; input.step = d.step; input.value = d.value;
        }
        var out = document.createElement("output");
        out.setAttribute("data-key", d.key);
        label.appendChild(name); label.appendChild(input); label.appendChild(out);
        fs.appendChild(label);
        inputs[d.key] = input; outputs[d.key] = out;
        input.addEventListener("input", update);
      });
      if (g === "momentum") {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "ax-polyak";
        button.textContent = "Polyak's optimum (\u2605)";
        button.addEventListener("click", function () {
          var p = polyak(settings().kappa);
          setSlider("lr", p[0]); setSlider("momentum", p[1]); update();
        });
        fs.appendChild(button);
      }
      controls.appendChild(fs);
    });
    var toggles = document.createElement("div");
    toggles.className = "ax-toggles";
    Object.keys(NAMES).forEach(function (name) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox"; box.checked = true; box.setAttribute("data-method", name);
      box.addEventListener("change", function () { shown[name] = box.checked; update(); });
      var sw = document.createElement("span");
      sw.textContent = " " + NAMES[name];
      sw.style.color = COLORS[name];
      label.appendChild(box); label.appendChild(sw);
      toggles.appendChild(label);
    });
    controls.appendChild(toggles);
    root.appendChild(controls);

    var figures = document.createElement("div");
    figures.className = "ax-figures";
    function panel(title, cls, w, h) {
      var fig = document.createElement("figure");
      fig.className = "ax-panel";
      var canvas = document.createElement("canvas");
      canvas.className = cls;
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
      canvas.width = w; canvas.height = h;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", title);
      var cap = document.createElement("figcaption");
      cap.textContent = title;
      fig.appendChild(canvas); fig.appendChild(cap);
      figures.appendChild(fig);
      return canvas;
    }
    var pathCanvas = panel("Paths on f(x) = \u00bd x\u1d40Ax (contours: f shrinks by 0.4 per ellipse)", "ax-paths", 380, 238);
    var phaseCanvas = panel("Heavy ball's (\u03b1, \u03b2) plane: darker = faster convergence, pink = diverges; " +
      "orange/brown: critical damping on \u03bb = 1 and \u03bb = 1/\u03ba; dashed: stability edge; \u2605 Polyak; click to set",
      "ax-phase", 290, 238);
    var lossCanvas = panel("f at each step (log scale)", "ax-losses", 380, 170);
    root.appendChild(figures);
    var table = document.createElement("table");
    table.className = "ax-readout";
    root.appendChild(table);

    phaseCanvas.addEventListener("click", function (ev) {
      var rect = phaseCanvas.getBoundingClientRect();
      var ab = phaseCanvas._toAlphaBeta(ev.clientX - rect.left, ev.clientY - rect.top);
      setSlider("lr", ab[0]); setSlider("momentum", ab[1]); update();
    });

    function sliderValue(d) {
      var raw = parseFloat(inputs[d.key].value);
      return d.values ? d.values[Math.round(raw)] : raw;
    }
    function setSlider(key, x) {
      var d = SLIDERS.filter(function (e) { return e.key === key; })[0];
      if (d.values) {
        var best = 0;
        d.values.forEach(function (v, i) { if (Math.abs(Math.log(v / x)) < Math.abs(Math.log(d.values[best] / x))) best = i; });
        inputs[key].value = best;
      } else {
        inputs[key].value = Math.max(d.min, Math.min(d.max, x));  // the browser snaps it to the slider's step
      }
    }
    function settings() {
      var s = {};
      SLIDERS.forEach(function (d) { s[d.key] = sliderValue(d); });
      return s;
    }
    var current = null;
    function update() {
      var s = settings();
      SLIDERS.forEach(function (d) { outputs[d.key].textContent = String(s[d.key]); });
      current = explore(s);
      drawPaths(pathCanvas, current, shown);
      drawPhase(phaseCanvas, current);
      drawLosses(lossCanvas, current, shown);
      var rows = ["<tr><th>method</th><th>f after the last step</th><th>steps</th><th>rate per step (theory)</th></tr>"];
      Object.keys(NAMES).forEach(function (name) {
        var fin = current.finals[name];
        var r = name === "adam" ? "\u2014" : fmt(current["rate_" + name]);
        rows.push("<tr data-method='" + name + "'><td style='color:" + COLORS[name] + "'>" + NAMES[name] + "</td><td class='ax-f'>" +
          (fin.diverged ? "diverged" : fmt(fin.f)) + "</td><td>" + fin.steps + "</td><td class='ax-rate'>" + r + "</td></tr>");
      });
      table.innerHTML = rows.join("");
      root.setAttribute("data-updates", String(Number(root.getAttribute("data-updates") || 0) + 1));
    }
    update();
    return {
      settings: settings,
      state: function () {
        return JSON.parse(JSON.stringify(current, function (k, v) {
          return typeof v === "number" && !isFinite(v) ? String(v) : v;
        }));
      },
      set: function (obj) { Object.keys(obj).forEach(function (k) { setSlider(k, obj[k]); }); update(); return settings(); },
      explore: explore
    };
  }

  function init() {
    var root = document.getElementById("adamlab-explorer");
    if (!root) return;
    window.adamlabExplorer = build(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
