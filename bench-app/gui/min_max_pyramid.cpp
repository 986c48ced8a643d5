#include "min_max_pyramid.hpp"

#include <algorithm>

namespace aidi::gui {

void MinMaxPyramid::clear() {
  m_t.clear();
  m_v.clear();
  m_min.clear();
  m_max.clear();
}

void MinMaxPyramid::append(double t, double v) {
  m_t.push_back(t);
  m_v.push_back(v);
  // Complete the blocks this sample closes, level by level.
  std::size_t n = m_t.size();
  std::size_t block = kFanOut;
  for (std::size_t level = 0; n % block == 0; ++level, block *= kFanOut) {
    if (m_min.size() <= level) {
      m_min.emplace_back();
      m_max.emplace_back();
    }
    double lo, hi;
    if (level == 0) {
      const auto first = m_v.end() - static_cast<std::ptrdiff_t>(kFanOut);
      lo = *std::min_element(first, m_v.end());
      hi = *std::max_element(first, m_v.end());
    } else {
      const auto& mins = m_min[level - 1];
      const auto& maxs = m_max[level - 1];
      lo = *std::min_element(mins.end() - kFanOut, mins.end());
      hi = *std::max_element(maxs.end() - kFanOut, maxs.end());
    }
    m_min[level].push_back(lo);
    m_max[level].push_back(hi);
  }
}

void MinMaxPyramid::range(std::size_t begin, std::size_t end, double& lo, double& hi) const {
  lo = m_v[begin];
  hi = m_v[begin];
  std::size_t i = begin;
  while (i < end) {
    // The coarsest complete block that starts at i and ends by `end`.
    std::size_t level = 0, block = kFanOut;
    while (level < m_min.size() && i % block == 0 && i + block <= end) {
      ++level;
      block *= kFanOut;
    }
    if (level == 0) {
      lo = std::min(lo, m_v[i]);
      hi = std::max(hi, m_v[i]);
      ++i;
      continue;
    }
    block /= kFanOut;
    const std::size_t index = i / block;
    lo = std::min(lo, m_min[level - 1][index]);
    hi = std::max(hi, m_max[level - 1][index]);
    i += block;
  }
}

void MinMaxPyramid::columns(double t0, double t1, std::vector<Column>& out) const {
  for (auto& c : out) c = Column{};
  if (m_t.empty() || out.empty() || !(t1 > t0)) return;
  const double width = (t1 - t0) / static_cast<double>(out.size());
  auto begin = static_cast<std::size_t>(std::lower_bound(m_t.begin(), m_t.end(), t0) - m_t.begin());
  for (std::size_t c = 0; c < out.size() && begin < m_t.size(); ++c) {
    const double edge = t0 + width * static_cast<double>(c + 1);
    const auto end = static_cast<std::size_t>(
        std::lower_bound(m_t.begin() + static_cast<std::ptrdiff_t>(begin), m_t.end(), edge) - m_t.begin());
    if (end > begin) {
      Column& col = out[c];
      col.empty = false;
      range(begin, end, col.min, col.max);
      col.first = m_v[begin];
      col.last = m_v[end - 1];
    }
    begin = end;
  }
}

}  // namespace aidi::gui
