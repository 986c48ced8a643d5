// Min/max of a time series per plot column, fast enough to redraw ten
// million points at 60 frames a second: a pyramid of per-block minima and
// maxima (blocks of 8, 64, 512, ... samples) answers a column spanning many
// samples from a few coarse blocks instead of every sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aidi::gui {

class MinMaxPyramid {
 public:
  // Appends a sample; times must not decrease.
  void append(double t, double v);
  void clear();
  std::size_t size() const { return m_t.size(); }
  bool empty() const { return m_t.empty(); }
  double firstTime() const { return m_t.front(); }
  double lastTime() const { return m_t.back(); }

  struct Column {
    bool empty = true;
    double min = 0, max = 0;
    double first = 0, last = 0;  // values at the column's ends, for joining columns
  };
  // Columns of equal width over [t0, t1).
  void columns(double t0, double t1, std::vector<Column>& out) const;
  // Min and max of samples [begin, end).
  void range(std::size_t begin, std::size_t end, double& min, double& max) const;

  const std::vector<double>& times() const { return m_t; }
  const std::vector<double>& values() const { return m_v; }

 private:
  static constexpr std::size_t kFanOut = 8;
  std::vector<double> m_t, m_v;
  // m_min[k][i], m_max[k][i]: samples [i * 8^(k+1), (i + 1) * 8^(k+1)).
  std::vector<std::vector<double>> m_min, m_max;
};

}  // namespace aidi::gui
