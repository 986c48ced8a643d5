// Redraw time of the live plot with ten million samples (target: <= 16 ms a
// frame, 60 fps), painting into an offscreen image the size of a full-HD
// plot area: the whole run, a zoomed view, and following the newest data
// while samples arrive. Also the time to append them (the pyramid's cost).
//
// With the waveform store waveform_bench wrote (`plot_bench FILE`): a run's
// profiler (voltage, current and power lanes, markers, cursors) drawn from
// the store at zooms from the whole hour to a millisecond, the first frame
// of each zoom with a cold cache (the tab just opened), then panning.
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "profiler_plot.hpp"
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

// The profiler tab's plot over the store at `file` (run 1, the whole run).
// Returns the worst frame, ms; negative if the store cannot be read.
double profilerFrames(const char* file) {
  std::mt19937 where(3);
  double worst = 0;
  std::printf("profiler from the waveform store %s, 1920x1080 offscreen (target <= 16 ms a frame)\n", file);
  QImage image(1920, 1080, QImage::Format_ARGB32_Premultiplied);
  {
    // The process's first paint of the profiler loads Qt's fonts and glyph
    // caches (once per process, not per run opened): shown apart.
    auto profile = aidi::core::RunProfile::open(file, 1, aidi::core::RunProfile::kWholeRun);
    if (!profile) {
      std::fprintf(stderr, "plot_bench: %s\n", profile.error().message.c_str());
      return -1;
    }
    aidi::gui::ProfilerPlot plot;
    plot.setProfile(&*profile);
    plot.setView(profile->startS(), profile->startS() + 1e-3);
    QElapsedTimer timer;
    timer.start();
    QPainter painter(&image);
    plot.render(painter, image.rect());
    painter.end();
    std::printf("  first paint of the process (fonts, glyph caches; a 1 ms view): %.2f ms\n",
                static_cast<double>(timer.nsecsElapsed()) / 1e6);
  }
  for (const double span : {3600.0, 600.0, 60.0, 1.0, 0.01, 0.001}) {
    QElapsedTimer timer;
    timer.start();
    // Cold: the run opened anew (a fresh connection and block cache).
    auto profile = aidi::core::RunProfile::open(file, 1, aidi::core::RunProfile::kWholeRun);
    if (!profile) {
      std::fprintf(stderr, "plot_bench: %s\n", profile.error().message.c_str());
      return -1;
    }
    const double openMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    aidi::gui::ProfilerPlot plot;
    plot.resize(1920, 1080);
    plot.setProfile(&*profile);
    const double length = profile->endS() - profile->startS();
    double start = profile->startS() + std::uniform_real_distribution<double>(0, std::max(0.0, length - span))(where);
    plot.setCursorAt(0, start + span * 0.25);
    plot.setCursorAt(1, start + span * 0.75);
    double cold = 0, warmTotal = 0, warmMax = 0;
    const int frames = 20;
    for (int f = 0; f <= frames; ++f) {
      plot.setView(start, start + span);
      timer.restart();
      QPainter painter(&image);
      plot.render(painter, image.rect());
      painter.end();
      const double ms = static_cast<double>(timer.nsecsElapsed()) / 1e6;
      if (f == 0) cold = ms;
      else warmTotal += ms, warmMax = std::max(warmMax, ms);
      start = std::clamp(start + span * 0.1, profile->startS(), std::max(profile->startS(), profile->endS() - span));
    }
    worst = std::max({worst, cold, warmMax});
    std::printf("  %8.3f s view   opened %6.2f ms, first frame %6.2f ms, panning %6.2f ms a frame (max %.2f)\n",
                std::min(span, length), openMs, cold, warmTotal / frames, warmMax);
  }
  std::printf("  worst frame        %8.2f ms (target <= 16 ms)\n", worst);
  return worst;
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
  if (argc > 1) {
    const double worst = profilerFrames(argv[1]);
    if (worst < 0 || worst > 16.0) return 1;
  }
  return whole <= 16.0 ? 0 : 1;
}
