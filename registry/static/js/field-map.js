// Field maps (templates/trace/_map.html; data from registry/trace/map_views.py).
//
// One element [data-map] per page, of one kind:
//   "fields": every field of the HTX, dense ones grouped in clusters (tap targets ≥ 44 px),
//             each field's marker a link to its page;
//   "field":  one field's boundary (data-focus), its neighbours faint;
//   "draw":   the new-field form's boundary, walked corner by corner with the phone's GPS
//             or tapped on the map; finishing writes the GeoJSON into the form's field.
// The basemap is the operator's (XYZ or PMTiles); with none, a plain grid, so the map works
// with no network. The server stays the judge of every boundary (registry/trace/geo.py): the
// area shown here is only a guide. Without JS, or if the map's data cannot be fetched, the
// element keeps what the server put in it (an SVG map) and the form its typed inputs.
(function () {
  "use strict";
  var el = document.querySelector("[data-map]");
  if (!el || !window.L || !window.fetch) return;
  var T = JSON.parse(document.getElementById("map-texts").textContent);
  var lang = document.documentElement.lang || "vi";
  var MAX_ZOOM = 21;
  var EARTH_RADIUS_M = 6371008.8; // as registry/trace/geo.py
  var GREEN = "#1b5e20";

  function say(key, values) {
    return T[key].replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function fmt(n, digits) {
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  Promise.all([getJSON(el.dataset.config), getJSON(el.dataset.features)])
    .then(function (got) { start(got[0], got[1]); })
    .catch(function () { /* the server-drawn fallback stays */ });

  function start(config, fields) {
    var panel = document.querySelector("[data-boundary]");
    if (el.dataset.map === "draw" && panel) panel.hidden = false; // before Leaflet measures
    var canvas = node("div", "live-map-canvas");
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", T.map);
    var status = node("p", "map-status");
    status.setAttribute("role", "status");
    Array.prototype.forEach.call(el.children, function (child) { child.setAttribute("hidden", ""); });
    el.appendChild(canvas);
    el.appendChild(status);
    var map = L.map(canvas, { maxZoom: MAX_ZOOM });
    map.attributionControl.setPrefix(false);
    addBasemap(map, config.basemap);
    L.control.scale({ imperial: false }).addTo(map);
    var ctx = { map: map, config: config, status: status, position: positionLayer(map) };
    locateControl(ctx).addTo(map);
    var drawn = drawFields(map, fields, el.dataset.map, el.dataset.focus);
    var bounds = drawn.getBounds();
    ctx.hasFields = bounds.isValid();
    // Room for the buttons at the top left and for half a marker on every side.
    var room = { paddingTopLeft: [64, 40], paddingBottomRight: [48, 40], maxZoom: 18 };
    if (bounds.isValid()) map.fitBounds(bounds, room);
    else map.fitBounds(config.bounds);
    if (el.dataset.map === "draw" && panel) boundaryTools(ctx, panel);
  }

  // --- The basemap --------------------------------------------------------------------

  function addBasemap(map, basemap) {
    if (!basemap) {
      plainBackground().addTo(map);
      return;
    }
    var options = {
      attribution: escapeHTML(basemap.attribution),
      maxNativeZoom: basemap.max_zoom,
      maxZoom: MAX_ZOOM,
    };
    if (basemap.kind === "xyz") {
      L.tileLayer(basemap.url, options).addTo(map);
      return;
    }
    var script = node("script");
    script.src = el.dataset.pmtilesScript;
    script.onload = function () {
      window.pmtiles.leafletRasterLayer(new window.pmtiles.PMTiles(basemap.url), options).addTo(map);
    };
    document.head.appendChild(script);
  }

  // A faint grid instead of imagery: panning and zooming still show movement.
  function plainBackground() {
    var Grid = L.GridLayer.extend({
      createTile: function () { return node("div", "plain-tile"); },
    });
    return new Grid({ maxZoom: MAX_ZOOM });
  }

  // --- The phone's position -----------------------------------------------------------

  function positionLayer(map) {
    var group = L.layerGroup().addTo(map);
    return {
      show: function (coords) {
        var at = L.latLng(coords.latitude, coords.longitude);
        group.clearLayers();
        L.circle(at, { radius: coords.accuracy, weight: 1, color: "#1565c0", fillOpacity: 0.1, interactive: false }).addTo(group);
        L.circleMarker(at, { radius: 7, weight: 3, color: "#fff", fillColor: "#1565c0", fillOpacity: 1, interactive: false })
          .bindTooltip(say("here", { m: Math.round(coords.accuracy) }))
          .addTo(group);
        return at;
      },
    };
  }

  function locateControl(ctx) {
    var Locate = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var button = node("button", "map-locate", "◎");
        button.type = "button";
        button.title = T.locate;
        button.setAttribute("aria-label", T.locate);
        L.DomEvent.disableClickPropagation(button);
        L.DomEvent.on(button, "click", function () { locate(ctx); });
        return button;
      },
    });
    return new Locate();
  }

  function locate(ctx) {
    if (!navigator.geolocation) return tell(ctx, T.no_position, true);
    navigator.geolocation.getCurrentPosition(function (p) {
      ctx.map.setView(ctx.position.show(p.coords), Math.max(ctx.map.getZoom(), 17));
      tell(ctx, say("here", { m: Math.round(p.coords.accuracy) }), false);
    }, function () { tell(ctx, T.no_position, true); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  }

  function tell(ctx, text, bad) {
    ctx.status.textContent = text;
    ctx.status.classList.toggle("bad", !!bad);
  }

  // --- The HTX's fields ---------------------------------------------------------------

  function drawFields(map, collection, kind, focus) {
    var focused = null;
    var shapes = L.geoJSON(collection, {
      interactive: kind === "fields",
      style: function (f) {
        if (kind !== "field" || f.properties.code === focus) {
          return { color: GREEN, weight: 2, fillColor: "#2e7d32", fillOpacity: 0.3 };
        }
        return { color: "#52715a", weight: 1, fillOpacity: 0.08, dashArray: "4 3" };
      },
      pointToLayer: function (f, at) { return L.circleMarker(at, { radius: 6 }); },
      onEachFeature: function (f, layer) {
        if (f.properties.code === focus) focused = layer;
        if (kind === "fields") layer.on("click", function () { location.assign(f.properties.href); });
      },
    }).addTo(map);
    if (kind === "fields") map.addLayer(fieldMarkers(collection.features));
    return focused ? L.featureGroup([focused]) : shapes;
  }

  // A marker per field at its centre, each a link; clusters where they would crowd.
  function fieldMarkers(features) {
    var group = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 56, iconCreateFunction: clusterIcon })
      : L.layerGroup();
    features.forEach(function (f) {
      var link = node("a", "field-pin-link", f.properties.code);
      link.href = f.properties.href;
      link.title = f.properties.name;
      var icon = L.divIcon({ className: "field-pin", html: link, iconSize: [0, 0] });
      group.addLayer(L.marker(centre(f.geometry), { icon: icon, keyboard: false }));
    });
    return group;
  }

  function clusterIcon(cluster) {
    var n = cluster.getChildCount();
    var html = node("span", null);
    var count = node("span", null, fmt(n, 0));
    count.setAttribute("aria-hidden", "true");
    html.appendChild(count);
    html.appendChild(node("span", "sr-only", say("cluster", { n: n })));
    return L.divIcon({ className: "field-cluster", html: html, iconSize: [48, 48] });
  }

  // Centre of a Point, or the area centroid of a Polygon's outer ring (planar: fields are small).
  function centre(geometry) {
    if (geometry.type === "Point") return L.latLng(geometry.coordinates[1], geometry.coordinates[0]);
    var ring = geometry.coordinates[0];
    var a = 0, x = 0, y = 0, x0 = ring[0][0], y0 = ring[0][1];
    for (var i = 0; i < ring.length - 1; i++) {
      var ax = ring[i][0] - x0, ay = ring[i][1] - y0, bx = ring[i + 1][0] - x0, by = ring[i + 1][1] - y0;
      var cross = ax * by - bx * ay;
      a += cross; x += (ax + bx) * cross; y += (ay + by) * cross;
    }
    if (!a) return L.latLngBounds(ring.map(function (p) { return [p[1], p[0]]; })).getCenter();
    return L.latLng(y0 + y / (3 * a), x0 + x / (3 * a));
  }

  // --- Walking or drawing a boundary ----------------------------------------------------

  function boundaryTools(ctx, panel) {
    var output = document.getElementById("geojson");
    var fixLine = panel.querySelector("[data-fix]");
    var tools = panel.querySelector("[data-tools]");
    var cornerButton = panel.querySelector("[data-act=corner]");
    var state = { mode: null, corners: [], finished: false, watch: null, fix: null };
    var layer = L.layerGroup().addTo(ctx.map);
    var outline = null;
    var maxAccuracy = ctx.config.walk_max_accuracy_m;

    function render() {
      layer.clearLayers();
      var pts = state.corners;
      outline = pts.length >= 3
        ? L.polygon(pts, { color: "#c62828", weight: 3, fillOpacity: 0.15, interactive: false })
        : L.polyline(pts, { color: "#c62828", weight: 3, interactive: false });
      outline.addTo(layer);
      pts.forEach(function (at, i) {
        var icon = L.divIcon({ className: "corner", html: String(i + 1), iconSize: [28, 28] });
        var marker = L.marker(at, { icon: icon, draggable: state.mode === "draw", keyboard: false });
        marker.on("drag", function () { pts[i] = marker.getLatLng(); outline.setLatLngs(pts); });
        marker.on("dragend", changed);
        marker.addTo(layer);
      });
    }

    function changed() {
      render();
      if (state.finished && state.corners.length >= 3) writeGeometry();
      else if (state.finished) { state.finished = false; output.value = ""; }
    }

    function ring() {
      var pts = state.corners.map(function (p) {
        return [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))];
      });
      return pts.concat([pts[0]]);
    }

    function writeGeometry() {
      var closed = ring();
      output.value = JSON.stringify({ type: "Polygon", coordinates: [closed] });
      tell(ctx, say("done", { n: state.corners.length, ha: fmt(ringArea(closed) / 10000, 2) }), false);
    }

    function finish() {
      if (state.corners.length < 3) return tell(ctx, T.need_three, true);
      state.finished = true;
      stopWatch();
      cornerButton.hidden = fixLine.hidden = true; // "Walk around the field" goes on walking
      writeGeometry();
      if (state.corners.length) ctx.map.fitBounds(outline.getBounds(), { padding: [24, 24], maxZoom: 19 });
    }

    function stopWatch() {
      if (state.watch !== null) navigator.geolocation.clearWatch(state.watch);
      state.watch = null;
    }

    function setMode(mode) {
      state.mode = mode;
      panel.querySelectorAll("[data-mode]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
      });
      tools.hidden = false;
      cornerButton.hidden = mode !== "walk";
      fixLine.hidden = mode !== "walk";
      stopWatch();
      render();
      if (mode === "walk") return startWalk();
      tell(ctx, T.draw_hint, false);
      if (!state.corners.length && !ctx.hasFields) centreOnPhone();
    }

    // With nothing drawn to start from, drawing starts where the phone is, if it can tell.
    function centreOnPhone() {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (p) {
        if (!state.corners.length) ctx.map.setView(ctx.position.show(p.coords), 18);
      }, function () { /* the clerk can still pan and zoom */ },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    }

    function startWalk() {
      if (!navigator.geolocation) return tell(ctx, T.no_position, true);
      tell(ctx, T.walk_hint, false);
      fixLine.textContent = T.waiting;
      var first = true;
      state.watch = navigator.geolocation.watchPosition(function (p) {
        state.fix = p.coords;
        var at = ctx.position.show(p.coords);
        var good = p.coords.accuracy <= maxAccuracy;
        fixLine.textContent = say("fix", { m: Math.round(p.coords.accuracy) });
        fixLine.classList.toggle("bad", !good);
        fixLine.classList.toggle("good", good);
        if (first) ctx.map.setView(at, 18);
        first = false;
      }, function () {
        fixLine.textContent = T.no_position;
        fixLine.classList.add("bad");
      }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
    }

    function addCorner() {
      var fix = state.fix;
      if (!fix) return tell(ctx, T.waiting, true);
      if (fix.accuracy > maxAccuracy) {
        return tell(ctx, say("too_rough", { m: Math.round(fix.accuracy), max: maxAccuracy }), true);
      }
      state.corners.push(L.latLng(fix.latitude, fix.longitude));
      changed();
      tell(ctx, say("corner_added", { n: state.corners.length }), false);
    }

    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.mode) setMode(button.dataset.mode);
      var act = button.dataset.act;
      if (act === "corner") addCorner();
      if (act === "finish") finish();
      if (act === "undo" && state.corners.length) {
        state.corners.pop();
        changed();
        tell(ctx, say("corner_removed", { n: state.corners.length }), false);
      }
      if (act === "clear") {
        state.corners = [];
        changed();
        output.value = "";
        tell(ctx, T.cleared, false);
      }
    });
    ctx.map.on("click", function (event) {
      if (state.mode !== "draw") return;
      state.corners.push(event.latlng);
      changed();
    });
    // A boundary walked but not closed is not lost when the clerk presses Register. Heard
    // in the capture phase: before the outbox (outbox.js) reads the form to keep it.
    output.form.addEventListener("submit", function () {
      if (!state.finished && state.corners.length >= 3) finish();
    }, true);
    output.addEventListener("change", preload);  // a boundary pasted, or put back by the outbox
    window.addEventListener("pagehide", stopWatch);
    preload();

    // The form shown again (a refused submission, or reopened from the outbox) keeps its
    // boundary: edit it, don't redo it.
    function preload() {
      var geometry;
      try { geometry = JSON.parse(output.value); } catch (e) { return; }
      if (!geometry || geometry.type !== "Polygon" || !Array.isArray(geometry.coordinates[0])) return;
      state.corners = geometry.coordinates[0].slice(0, -1).map(function (p) { return L.latLng(p[1], p[0]); });
      state.finished = state.corners.length >= 3;
      setMode("draw");
      if (state.corners.length) ctx.map.fitBounds(outline.getBounds(), { padding: [24, 24], maxZoom: 19 });
    }
  }

  // Ring area on the sphere (Chamberlain & Duquette 2007, as the server and @turf/area).
  function ringArea(closed) {
    var pts = closed.slice(0, -1), n = pts.length, total = 0;
    var rad = Math.PI / 180;
    for (var i = 0; i < n; i++) {
      var lower = pts[i], middle = pts[(i + 1) % n], upper = pts[(i + 2) % n];
      total += (upper[0] * rad - lower[0] * rad) * Math.sin(middle[1] * rad);
    }
    return Math.abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2);
  }
})();
