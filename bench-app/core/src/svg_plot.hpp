// A small scatter/line plot rendered as inline SVG, so a report needs no
// script and no network to show its figures. Axes are linear or log10;
// text passes through escapeHtml.
#pragma once

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "aidi/core/report.hpp"

namespace aidi::core::svg {

struct Axis {
  std::string label;
  bool log = false;
  double min = 0, max = 1;
};

struct Point {
  double x, y;
  std::string title;  // tooltip
};

struct Series {
  std::string name;
  std::string color;
  std::vector<Point> points;
  bool line = false;     // join the points
  bool markers = true;
};

struct Band {  // a shaded x range (power-on intervals)
  double x0, x1;
};

class Plot {
 public:
  Plot(std::string title, Axis x, Axis y, int width = 640, int height = 360)
      : m_title(std::move(title)), m_x(std::move(x)), m_y(std::move(y)), m_w(width), m_h(height) {}

  void add(Series s) { m_series.push_back(std::move(s)); }
  void band(double x0, double x1) { m_bands.push_back({x0, x1}); }

  // Fits both axes to the data (with a margin); log axes keep positive data.
  void autoscale() {
    fit(m_x, [](const Point& p) { return p.x; });
    fit(m_y, [](const Point& p) { return p.y; });
  }

  std::string render() const {
    std::ostringstream o;
    o << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img">)",
                     m_w, m_h, m_w, m_h);
    o << fmt::format(R"(<text x="{}" y="18" text-anchor="middle" class="t">{}</text>)", m_w / 2, escapeHtml(m_title));
    o << fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", kLeft, kTop,
                     plotW(), plotH());
    for (const Band& b : m_bands) {
      const double x0 = px(b.x0), x1 = px(b.x1);
      o << fmt::format(R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="#f5d76e" opacity="0.35"/>)", x0,
                       kTop, std::max(0.5, x1 - x0), plotH());
    }
    ticks(o);
    for (std::size_t i = 0; i < m_series.size(); ++i) {
      const Series& s = m_series[i];
      if (s.line && s.points.size() > 1) {
        o << R"(<polyline fill="none" stroke-width="1.5" stroke=")" << s.color << R"(" points=")";
        for (const Point& p : s.points)
          if (visible(p)) o << fmt::format("{:.1f},{:.1f} ", px(p.x), py(p.y));
        o << R"("/>)";
      }
      if (s.markers) {
        for (const Point& p : s.points) {
          if (!visible(p)) continue;
          o << fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"><title>{}</title></circle>)", px(p.x),
                           py(p.y), s.color, escapeHtml(p.title));
        }
      }
      const int ly = kTop + 14 + 16 * static_cast<int>(i);
      o << fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="l">{}</text>)",
                       m_w - kRight + 8, ly - 9, s.color, m_w - kRight + 22, ly, escapeHtml(s.name));
    }
    o << fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="a">{}</text>)", kLeft + plotW() / 2, m_h - 6,
                     escapeHtml(m_x.label));
    o << fmt::format(R"svg(<text transform="translate(14,{}) rotate(-90)" text-anchor="middle" class="a">{}</text>)svg",
                     kTop + plotH() / 2, escapeHtml(m_y.label));
    o << "</svg>";
    return o.str();
  }

 private:
  static constexpr int kLeft = 64, kRight = 150, kTop = 28, kBottom = 44;
  int plotW() const { return m_w - kLeft - kRight; }
  int plotH() const { return m_h - kTop - kBottom; }
  static double scaled(const Axis& a, double v) {
    if (!(a.max > a.min) || (a.log && !(a.min > 0))) return 0.5;
    if (a.log) return (std::log10(v) - std::log10(a.min)) / (std::log10(a.max) - std::log10(a.min));
    return (v - a.min) / (a.max - a.min);
  }
  double px(double x) const { return kLeft + scaled(m_x, x) * plotW(); }
  double py(double y) const { return kTop + plotH() - scaled(m_y, y) * plotH(); }
  bool visible(const Point& p) const {
    return std::isfinite(p.x) && std::isfinite(p.y) && (!m_x.log || p.x > 0) && (!m_y.log || p.y > 0);
  }

  template <class Get>
  void fit(Axis& a, Get get) {
    double lo = INFINITY, hi = -INFINITY;
    for (const Series& s : m_series)
      for (const Point& p : s.points) {
        const double v = get(p);
        if (!std::isfinite(v) || (a.log && v <= 0)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    if (!std::isfinite(lo)) {  // no data: an empty frame with a valid range
      a.min = a.log ? 1.0 : 0.0;
      a.max = 10.0;
      return;
    }
    if (a.log) {
      a.min = std::pow(10.0, std::floor(std::log10(lo)));
      a.max = std::pow(10.0, std::ceil(std::log10(hi)));
      if (a.max <= a.min) a.max = a.min * 10;
    } else {
      const double pad = hi > lo ? (hi - lo) * 0.08 : (std::abs(hi) > 0 ? std::abs(hi) * 0.1 : 1.0);
      a.min = lo - pad;
      a.max = hi + pad;
    }
  }

  void ticks(std::ostringstream& o) const {
    const auto tickValues = [](const Axis& a) {
      std::vector<double> v;
      if (a.log) {
        if (!(a.min > 0)) return v;
        for (double t = a.min; t <= a.max * 1.0001 && v.size() < 40; t *= 10) v.push_back(t);
      } else {
        if (!(a.max > a.min)) return v;
        const double raw = (a.max - a.min) / 5;
        const double mag = std::pow(10.0, std::floor(std::log10(raw)));
        const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
        for (double t = std::ceil(a.min / step) * step; t <= a.max && v.size() < 40; t += step)
          v.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);  // no "-0" label
      }
      return v;
    };
    for (double t : tickValues(m_x)) {
      const double x = px(t);
      o << fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" stroke="#ddd"/>)", x, kTop, kTop + plotH());
      o << fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle" class="k">{:g}</text>)", x, kTop + plotH() + 14, t);
    }
    for (double t : tickValues(m_y)) {
      const double y = py(t);
      o << fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" stroke="#ddd"/>)", kLeft, kLeft + plotW(), y);
      o << fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end" class="k">{:g}</text>)", kLeft - 4, y + 4, t);
    }
  }

  std::string m_title;
  Axis m_x, m_y;
  int m_w, m_h;
  std::vector<Series> m_series;
  std::vector<Band> m_bands;
};

}  // namespace aidi::core::svg
