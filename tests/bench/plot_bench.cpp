// Redraw time of the live plot with ten million samples (target: <= 16 ms a
// frame, 60 fps), painting into an offscreen image the size of a full-HD
// plot area: the whole run, a zoomed view, and following the newest data
// while samples arrive. Also the time to append them (the pyramid's cost).
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "timeline_plot.hpp"

namespace {

double msPerFrame(aidi::gui::TimelinePlot& plot, QImage& image, int frames) {
  QElapsedTimer timer;
  timer.start();
  for (int i = 0; i < frames; ++i) {
    QPainter painter(&image);
    plot.render(painter, image.rect());
  }
  return static_cast<double>(timer.nsecsElapsed()) / 1e6 / frames;
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  constexpr std::size_t kSamples = 10'000'000;
  aidi::gui::TimelinePlot plot;
  plot.resize(1920, 1080);
  QElapsedTimer timer;
  timer.start();
  // A capacitor charging and discharging: 100,000 power cycles of 100 samples.
  for (std::size_t i = 0; i < kSamples; ++i) {
    const double t = static_cast<double>(i) * 1e-3;
    const double phase = static_cast<double>(i % 100) / 100.0;
    plot.appendVoltage(t, phase < 0.9 ? 2.0 + phase / 0.9 : 3.0 - (phase - 0.9) * 10.0);
    if (i % 100 == 0) plot.addCheckpoint(t, 2.5);
  }
  const double appendMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
  QImage image(1920, 1080, QImage::Format_ARGB32_Premultiplied);

  plot.fitAll();
  const double whole = msPerFrame(plot, image, 30);
  plot.setView(4000.0, 4100.0);
  const double zoomed = msPerFrame(plot, image, 60);
  plot.setView(0.0, 10.0);
  const double close = msPerFrame(plot, image, 60);
  std::printf("live plot, %zu samples, 1920x1080 offscreen (target <= 16 ms a frame)\n", kSamples);
  std::printf("  append all samples        %8.1f ms (%.0f ns a sample)\n", appendMs, appendMs * 1e6 / kSamples);
  std::printf("  whole run (10,000 s)      %8.2f ms a frame  (%.0f fps)\n", whole, 1000.0 / whole);
  std::printf("  zoomed, 100 s (100k)      %8.2f ms a frame  (%.0f fps)\n", zoomed, 1000.0 / zoomed);
  std::printf("  close, 10 s (10k samples) %8.2f ms a frame  (%.0f fps)\n", close, 1000.0 / close);
  return whole <= 16.0 ? 0 : 1;
}
