// aidi-bench driven through its real widgets, offscreen, against the virtual
// bench: connect, run a short campaign, see the runs appear, compare two,
// export the report and the plot, render a screenshot; and the bad inputs
// (newer database, missing bench file, bad campaign file, a stopped run)
// end in a clear message with nothing lost.
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QListWidget>
#include <QProgressBar>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QStatusBar>
#include <QTableWidget>
#include <QWheelEvent>
#include <QTest>
#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "../support/postgres_server.hpp"
#include "aidi/core/advisor.hpp"
#include "aidi/core/api_client.hpp"
#include "aidi/core/api_server.hpp"
#include "aidi/core/lab.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"
#include "aidi/lab/lab_store.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "main_window.hpp"
#include "min_max_pyramid.hpp"
#include "profiler_plot.hpp"
#include "profiler_tab.hpp"
#include "timeline_plot.hpp"

using aidi::gui::MainWindow;
using aidi::gui::MinMaxPyramid;

namespace {

const QString kFixtures = QStringLiteral(AIDI_SOURCE_DIR "/fixtures");

QString writeCampaign(const QString& dir, const QString& name, const QString& models, const QString& policies,
                      int samples) {
  const QString path = dir + "/" + name + ".toml";
  std::ofstream(path.toStdString()) << "[campaign]\nname = \"" << name.toStdString() << "\"\nsamples = " << samples
                                    << "\n[matrix]\nmodels = " << models.toStdString()
                                    << "\npolicies = " << policies.toStdString()
                                    << "\n[[condition]]\nname = \"weak\"\ntrace = \""
                                    << (kFixtures + "/traces/indoor-weak.csv").toStdString()
                                    << "\"\ncapacitor_uf = 100\n";
  return path;
}

qint64 runIdAt(const MainWindow& w, int row) { return w.runsModel()->item(row, 1)->data(Qt::UserRole).toLongLong(); }

// A QEMU that this test process started (through the GUI's worker thread).
pid_t childQemu() {
  DIR* proc = opendir("/proc");
  pid_t found = -1;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line((std::istreambuf_iterator<char>(stat)), {});
    const auto close = line.rfind(')');
    if (close == std::string::npos || line.find("(qemu-system-arm)") == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    std::sscanf(line.c_str() + close + 2, "%c %d", &state, &ppid);
    if (ppid == getpid()) found = pid;
  }
  closedir(proc);
  return found;
}

}  // namespace

class GuiTest : public QObject {
  Q_OBJECT
 private:
  // Reloads the runs browser and waits until this load (not an earlier one
  // still in flight) is shown.
  static void refreshAndWait(MainWindow& w) {
    QSignalSpy shown(&w, &MainWindow::runsRefreshed);
    w.refreshRuns();
    QTRY_VERIFY_WITH_TIMEOUT(!w.refreshing() && shown.count() > 0, 20000);
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // settings go to a test location
    QApplication::setOrganizationName("AIDI-test");
    QApplication::setApplicationName("aidi-bench-test");
  }
  void init() {
    auto d = aidi::inst::TempDir::create("aidi-gui-test-");
    QVERIFY(d);
    m_dir.emplace(std::move(*d));
    m_path = QString::fromStdString(m_dir->path().string());
  }

  // The program's own options: --help, --version, an unknown option refused.
  void commandLineOptions() {
    const QString program = QStringLiteral(AIDI_BINARY_DIR "/bench-app/gui/aidi-bench");
    QProcess p;
    // No display at all (a terminal over ssh, CI): --help and --version
    // answer without opening a window, which would abort here.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("DISPLAY");
    env.remove("WAYLAND_DISPLAY");
    env.insert("QT_QPA_PLATFORM", "xcb");
    p.setProcessEnvironment(env);
    p.start(program, {"--version"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().startsWith("aidi-bench "));
    p.start(program, {"--help"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray help = p.readAllStandardOutput();
    QVERIFY(help.contains("--db"));
    QVERIFY2(help.startsWith("Usage: aidi-bench "), help.constData());
    p.start(program, {"--no-such-option"});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY(p.exitCode() != 0);
    QVERIFY(p.readAllStandardError().contains("no-such-option"));
  }

  void decimationMatchesBruteForce() {
    MinMaxPyramid pyramid;
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> value(-1, 1);
    std::vector<double> t, v;
    double now = 0;
    for (int i = 0; i < 100000; ++i) {
      now += 0.001 * (1 + rng() % 3);
      t.push_back(now);
      v.push_back(value(rng));
      pyramid.append(t.back(), v.back());
    }
    for (auto [t0, t1, width] : {std::tuple{0.0, now + 1e-9, 640}, std::tuple{3.3, 7.9, 1000}, std::tuple{50.0, 50.2, 300}}) {
      std::vector<MinMaxPyramid::Column> columns(static_cast<std::size_t>(width));
      pyramid.columns(t0, t1, columns);
      const double w = (t1 - t0) / width;
      for (int c = 0; c < width; ++c) {
        double lo = 1e9, hi = -1e9;
        bool any = false;
        for (std::size_t i = 0; i < t.size(); ++i) {
          if (t[i] >= t0 + w * c && t[i] < t0 + w * (c + 1)) {
            lo = std::min(lo, v[i]);
            hi = std::max(hi, v[i]);
            any = true;
          }
        }
        const auto& col = columns[static_cast<std::size_t>(c)];
        QCOMPARE(col.empty, !any);
        if (any) {
          QCOMPARE(col.min, lo);
          QCOMPARE(col.max, hi);
        }
      }
    }
  }

  void runsACampaignComparesAndExports() {
    MainWindow w;
    w.resize(1280, 800);
    w.show();
    QSignalSpy connected(&w, &MainWindow::benchConnected);
    w.connectBench();
    QVERIFY(connected.wait(30000));
    QCOMPARE(connected.front().front().toBool(), true);
    QVERIFY2(w.benchSummary().contains("Connected"), qPrintable(w.benchSummary()));

    QVERIFY(w.openDatabase(m_path + "/runs.sqlite") == false);  // does not exist yet: a clear error
    QVERIFY(w.errorText().contains("runs.sqlite"));
    const QString campaign =
        writeCampaign(m_path, "gui-short", R"(["inas-tiny", "mcunet-s"])", R"(["loop", "aidi"])", 1);
    QSignalSpy finished(&w, &MainWindow::campaignFinished);
    QVERIFY(w.runCampaignFile(campaign));
    QVERIFY(w.isRunning());
    QVERIFY(finished.wait(180000));
    QCOMPARE(finished.front().front().toBool(), true);
    QVERIFY(w.errorText().isEmpty());
    refreshAndWait(w);  // the browser loads off the GUI thread
    QCOMPARE(w.runsModel()->rowCount(), 4);
    QVERIFY(w.plot()->sampleCount() > 10);
    QVERIFY2(w.plot()->checkpointCount() > 10, "the live view draws the checkpoints as they come");
    QCOMPARE(w.resultsList()->count(), 4);  // one sample per run, newest first
    QVERIFY2(w.resultsList()->item(0)->text().startsWith("mcunet-s aidi weak #0: "),
             qPrintable(w.resultsList()->item(0)->text()));
    QCOMPARE(w.layerProgress()->maximum(), 20);  // mcunet-s has 20 layers
    QVERIFY(w.findChild<QLabel*>("decoderStatus")->text().contains("0 frames dropped"));

    QVERIFY(w.compareRuns({runIdAt(w, 2), runIdAt(w, 3)}));
    QCOMPARE(w.compareTable()->columnCount(), 2);
    QCOMPARE(w.compareTable()->item(1, 0)->text(), QString("loop"));
    QCOMPARE(w.compareTable()->item(1, 1)->text(), QString("aidi"));
    QVERIFY(!w.compareRuns({runIdAt(w, 0)}));  // one run is not a comparison
    QVERIFY(w.errorText().contains("two or more"));

    QVERIFY(w.showRunTimeline(runIdAt(w, 3)));
    QVERIFY(w.plot()->sampleCount() >= 2);
    QVERIFY(w.exportReport(m_path + "/report.html"));
    QFile html(m_path + "/report.html");
    QVERIFY(html.open(QIODevice::ReadOnly));
    QVERIFY(html.readAll().contains("AIDI Bench report: gui-short"));
    QVERIFY(w.exportReport(m_path + "/report.csv"));
    QVERIFY(w.exportPlot(m_path + "/plot.png"));
    QVERIFY(QImage(m_path + "/plot.png").width() >= 800);
    QVERIFY(w.exportPlot(m_path + "/plot.svg"));
    QFile svg(m_path + "/plot.svg");
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QVERIFY(svg.readAll().contains("<svg"));

    // The screenshot of the README: the loop policy's many power cycles.
    QVERIFY(w.compareRuns({runIdAt(w, 2), runIdAt(w, 3)}));
    QVERIFY(w.showRunTimeline(runIdAt(w, 2)));
    QApplication::processEvents();
    const QString shot = QStringLiteral(AIDI_BINARY_DIR "/aidi-bench-screenshot.png");
    QVERIFY(w.grab().save(shot));
    QVERIFY(QImage(shot).width() >= 1000);
  }

  // A past run's profiler: markers with their text, two cursors whose
  // readouts equal an independent integral of the stored samples, the hover
  // readout, the sample picker, each run in its own tab, exports of the
  // same run (CSV of the selection, PNG and SVG of the view); and the
  // README's screenshot: the cursors on a multi-cycle run.
  void profilerCursorsMarkersSamplesAndExports() {
    QString campaign = writeCampaign(m_path, "profiled", R"(["mcunet-s"])", R"(["loop", "aidi"])", 2);
    {
      QFile f(campaign);
      QVERIFY(f.open(QIODevice::ReadOnly));
      QString text = QString::fromUtf8(f.readAll()).replace("[matrix]", "waveforms = true\n[matrix]");
      f.close();
      QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
      f.write(text.toUtf8());
    }
    MainWindow w;
    w.resize(1400, 860);
    w.show();
    QSignalSpy finished(&w, &MainWindow::campaignFinished);
    QVERIFY(w.runCampaignFile(campaign));
    QVERIFY(finished.wait(300000));
    QCOMPARE(finished.front().front().toBool(), true);
    refreshAndWait(w);
    QCOMPARE(w.runsModel()->rowCount(), 2);
    const qint64 loopRun = runIdAt(w, 0), aidiRun = runIdAt(w, 1);

    QVERIFY2(w.showRunTimeline(loopRun), qPrintable(w.errorText()));
    aidi::gui::ProfilerTab* tab = w.profilerTab(loopRun);
    QVERIFY(tab);
    const int tabs = w.findChild<QTabWidget*>()->count();
    QVERIFY(w.showRunTimeline(loopRun));  // already open: brought forward, not opened twice
    QCOMPARE(w.findChild<QTabWidget*>()->count(), tabs);
    QCOMPARE(tab->samplePicker()->count(), 2);
    aidi::core::RunProfile* profile = tab->profile();
    QVERIFY(profile->channel("power") && profile->channel("voltage") && profile->channel("current"));

    // Markers: every power-on, and checkpoints with their layer, job and NVM bytes.
    int powerOns = 0, checkpoints = 0;
    double checkpointT = 0;
    for (const auto& m : profile->markers()) {
      if (m.kind == aidi::core::ProfileMarker::Kind::PowerOn) ++powerOns;
      if (m.kind == aidi::core::ProfileMarker::Kind::Checkpoint && !checkpoints++) checkpointT = m.t;
    }
    QVERIFY2(powerOns > 10, "loop under weak light: many power cycles");
    QVERIFY(checkpoints > 100);
    aidi::gui::ProfilerPlot* plot = tab->plot();
    plot->setView(checkpointT - 1e-3, checkpointT + 1e-3);
    QVERIFY2(plot->markerTextNear(plot->xOf(checkpointT)).contains("checkpoint: layer 0, job"),
             qPrintable(plot->markerTextNear(plot->xOf(checkpointT))));
    QVERIFY(plot->markerTextNear(plot->xOf(checkpointT)).contains("NVM bytes"));

    // Cursors by mouse over the first two power cycles.
    plot->fitAll();
    const double first = profile->startS(), span = profile->endS() - profile->startS();
    plot->setView(first, first + span / 4);
    const int y = plot->height() / 2;
    const int xa = plot->xOf(first + span / 40), xb = plot->xOf(first + span / 5);
    QTest::mouseClick(plot, Qt::LeftButton, {}, QPoint(xa, y));
    QTest::mouseClick(plot, Qt::RightButton, {}, QPoint(xb, y));
    QVERIFY(plot->cursorAt(0) && plot->cursorAt(1));
    const auto readout = plot->readout();
    QVERIFY(readout);
    QCOMPARE(readout->t0, plot->timeAt(xa));
    QCOMPARE(readout->t1, plot->timeAt(xb));
    // The independent integral: every stored power sample held until the
    // next (or its segment's sampling period), clipped to the cursors.
    const aidi::core::ChannelInfo& power = *profile->channel("power");
    auto samples = profile->samples(power, readout->t0 - 1.0, readout->t1, 50'000'000);
    QVERIFY(samples);
    double energy = 0;
    for (std::size_t k = 0; k < samples->size(); ++k) {
      const double t = (*samples)[k].first;
      double period = 0;
      for (const auto& seg : power.segments)
        if (t >= seg.t0 - 1e-12 && t < seg.endS()) period = 1.0 / seg.rateHz;
      const double end = std::min(t + period, k + 1 < samples->size() ? (*samples)[k + 1].first : t + period);
      const double overlap = std::min(end, readout->t1) - std::max(t, readout->t0);
      if (overlap > 0) energy += overlap * (*samples)[k].second;
    }
    QVERIFY(energy > 0);
    QVERIFY2(std::abs(readout->energyJ - energy) <= 1e-6 * energy,
             qPrintable(QString("readout %1 J, independent %2 J").arg(readout->energyJ, 0, 'g', 12).arg(energy, 0, 'g', 12)));
    QVERIFY(readout->chargeC > 0);
    QVERIFY(readout->v0 > 1.9 && readout->v0 < 3.7);
    QVERIFY2(tab->readoutLabel()->text().contains("energy"), qPrintable(tab->readoutLabel()->text()));
    QVERIFY(tab->readoutLabel()->text().contains("Δt"));

    // Hover: the values under the pointer.
    QTest::mouseMove(plot, QPoint((xa + xb) / 2, y));
    QVERIFY2(plot->hoverText().contains("power"), qPrintable(plot->hoverText()));
    // Y zoom on a lane, then back to autoscale; wheel zoom in time.
    plot->zoomY(2, 4);
    plot->zoomY(2, 1);
    const double before = plot->viewEnd() - plot->viewStart();
    QWheelEvent wheel(QPointF(xa, y), plot->mapToGlobal(QPointF(xa, y)), {}, QPoint(0, 120), Qt::NoButton, {},
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot, &wheel);
    QVERIFY(plot->viewEnd() - plot->viewStart() < before);

    // Exports of this run: the selection as CSV, the view as PNG and SVG.
    QVERIFY(tab->exportCsv(m_path + "/selection.csv"));
    QFile csv(m_path + "/selection.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() > 100);
    QVERIFY2(lines[0].startsWith("time_s,") && lines[0].contains("power_W"), qPrintable(lines[0]));
    QVERIFY(lines[1].split(',')[0].toDouble() >= readout->t0 - 1e-9);
    QVERIFY(lines.back().split(',')[0].toDouble() < readout->t1);
    QVERIFY(w.exportPlot(m_path + "/profile.png"));
    QVERIFY(QImage(m_path + "/profile.png").width() >= 1000);
    QVERIFY(w.exportPlot(m_path + "/profile.svg"));
    QFile svg(m_path + "/profile.svg");
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QVERIFY(svg.readAll().contains(QString("run %1, sample 0").arg(loopRun).toUtf8()));

    // The README's screenshot: cursors on this multi-cycle run, around one
    // whole power cycle (charge and run: what a cycle costs and brings).
    std::vector<double> ons;
    for (const auto& m : profile->markers())
      if (m.kind == aidi::core::ProfileMarker::Kind::PowerOn) ons.push_back(m.t);
    plot->setView(ons[1] - 0.3 * (ons[2] - ons[1]), ons[3] + 0.1 * (ons[3] - ons[2]));
    plot->setCursorAt(0, ons[1] - 0.05);
    plot->setCursorAt(1, ons[2] - 0.05);
    QTest::mouseMove(plot, QPoint(plot->xOf(ons[2]), y));
    QApplication::processEvents();
    const QString shot = QStringLiteral(AIDI_BINARY_DIR "/aidi-bench-profiler.png");
    QVERIFY(w.grab().save(shot));

    // The sample picker: the other image of the run.
    tab->samplePicker()->setCurrentIndex(1);
    QVERIFY(tab->showSample(tab->samplePicker()->itemData(1).toInt()));
    QCOMPARE(tab->profile()->sample(), 1);
    QVERIFY(!tab->plot()->cursorAt(0));  // cursors belong to the sample they were placed on

    // Another run: its own tab; compare overlays both runs' power.
    QVERIFY(w.showRunTimeline(aidiRun));
    QVERIFY(w.profilerTab(aidiRun) && w.profilerTab(aidiRun) != tab);
    // aidi sleeps, powered, for energy: its sleeps are marked, each within a
    // power cycle, their text saying how long.
    int sleeps = 0;
    for (const auto& m : w.profilerTab(aidiRun)->profile()->markers())
      if (m.kind == aidi::core::ProfileMarker::Kind::Sleep) {
        ++sleeps;
        QVERIFY2(QString::fromStdString(m.text).startsWith("asleep for "), m.text.c_str());
      }
    QVERIFY(sleeps > 0);
    QVERIFY(w.compareRuns({loopRun, aidiRun}));
    QVERIFY2(w.comparePlot()->isVisible(), "the compare tab is shown");
    QVERIFY(w.comparePlot()->profile());
    QCOMPARE(w.compareTable()->item(1, 1)->font().bold(), true);  // aidi is the faster: highlighted
    // Where each run's energy went, layer by layer: the report's chart.
    QVERIFY(w.compareEnergySvg().contains("Where the energy goes, layer by layer"));
    QVERIFY(w.compareEnergySvg().contains(QString("run %1: loop").arg(loopRun).toUtf8()));
    QVERIFY(w.compareEnergySvg().contains(QString("layer 19, run %1: aidi: compute").arg(aidiRun).toUtf8()));
    QApplication::processEvents();
    QVERIFY(w.grab().save(QStringLiteral(AIDI_BINARY_DIR "/aidi-bench-compare.png")));

    // A missing waveform says how to record one.
    QVERIFY(!aidi::gui::ProfilerTab::open(w.databasePath(), 99999));
  }

  void badInputsGiveClearMessagesAndKeepEverything() {
    MainWindow w;
    // A database from a newer schema: refused, untouched.
    const QString newer = m_path + "/newer.sqlite";
    sqlite3* h = nullptr;
    QCOMPARE(sqlite3_open(newer.toUtf8().constData(), &h), SQLITE_OK);
    sqlite3_exec(h, "CREATE TABLE x(y); PRAGMA user_version = 999;", nullptr, nullptr, nullptr);
    sqlite3_close(h);
    QVERIFY(!w.openDatabase(newer));
    QVERIFY2(w.errorText().contains("newer"), qPrintable(w.errorText()));

    QVERIFY(!w.useBench(m_path + "/absent-bench.toml"));
    QVERIFY2(w.errorText().contains("absent-bench.toml"), qPrintable(w.errorText()));

    const QString bad = m_path + "/bad.toml";
    std::ofstream(bad.toStdString()) << "[campaign]\nname = \"x\"\n[matrix]\nmodels = [\"nope\"]\npolicies = [\"aidi\"]\n";
    QVERIFY(!w.runCampaignFile(bad));
    QVERIFY2(w.errorText().contains("unknown model \"nope\""), qPrintable(w.errorText()));
    QVERIFY(!w.isRunning());
  }

  void stoppingKeepsWhatWasRecordedAndStaysResponsive() {
    MainWindow w;
    QVERIFY(!w.openDatabase(m_path + "/stop.sqlite"));  // sets nothing; the campaign creates it beside the file
    const QString campaign = writeCampaign(m_path, "gui-stop", R"(["inas-tiny", "mcunet-m"])",
                                           R"(["fixed-tile", "loop", "aidi"])", 2);
    QSignalSpy finished(&w, &MainWindow::campaignFinished);
    QVERIFY(w.runCampaignFile(campaign));
    QTRY_VERIFY_WITH_TIMEOUT(w.runsModel()->rowCount() > 0 && w.runsModel()->item(0, 5)->text() == "done", 60000);
    w.stopCampaign();
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.front().front().toBool(), false);
    QVERIFY2(w.errorText().contains("resume"), qPrintable(w.errorText()));
    int done = 0;
    for (int r = 0; r < w.runsModel()->rowCount(); ++r) done += w.runsModel()->item(r, 5)->text() == "done";
    QVERIFY(done >= 1);
    QVERIFY(done < 6);
    // Still usable: a comparison of what is there works.
    refreshAndWait(w);
    QCOMPARE(w.runsModel()->rowCount(), 6);
  }

  void flashingWithoutAProbeSaysSo() {
    MainWindow w;
    QSignalSpy flashed(&w, &MainWindow::flashFinished);
    w.flashBench("inas-tiny", "aidi");  // the virtual bench: nothing to flash
    QCOMPARE(flashed.size(), 1);
    QVERIFY(w.errorText().contains("virtual bench"));
    // The supply simulated; OpenOCD told to use a probe no one has, so a
    // plugged-in board is never programmed.
    auto sim = aidi::inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
    QVERIFY(sim);
    const QString bench = m_path + "/flash-bench.toml";
    std::ofstream(bench.toStdString()) << "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                                          "max_current = 0.1\n[supply]\nresource = \"TCPIP0::127.0.0.1::"
                                       << (*sim)->port()
                                       << "::SOCKET\"\n[flasher]\nkind = \"openocd\"\nconfig = [\"board/st_nucleo_f4.cfg\"]\n"
                                          "adapter_serial = \"AIDI-TEST-NO-SUCH-PROBE\"\n";
    QVERIFY(w.useBench(bench));
    w.flashBench("inas-tiny", "aidi");
    QVERIFY(flashed.wait(60000));
    QCOMPARE(flashed.back().front().toBool(), false);
    QVERIFY2(w.errorText().contains("no debug probe found"), qPrintable(w.errorText()));
    QVERIFY(w.errorText().contains("aidi-inference-inas-tiny-aidi-nucleo-f412zg.elf"));
    QVERIFY2(!(*sim)->channel(1).output, "the board's supply ends off");
  }

  // The board dies mid-run (QEMU killed, as a board unplugged): that run is
  // recorded as failed with the reason, the campaign goes on, nothing is lost.
  void aBoardThatDiesMidRunFailsOnlyThatRun() {
    MainWindow w;
    const QString campaign = writeCampaign(m_path, "gui-dies", R"(["mcunet-m", "inas-tiny"])", R"(["loop"])", 1);
    QSignalSpy finished(&w, &MainWindow::campaignFinished);
    QVERIFY(w.runCampaignFile(campaign));
    pid_t qemu = -1;
    // The first run (mcunet-m, many power cycles) is under way once its plain run is measured.
    QTRY_VERIFY_WITH_TIMEOUT(w.plot()->sampleCount() > 4 && (qemu = childQemu()) > 0, 60000);
    QCOMPARE(::kill(qemu, SIGKILL), 0);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.front().front().toBool(), true);  // the campaign itself completed
    refreshAndWait(w);
    QCOMPARE(w.runsModel()->rowCount(), 2);
    QCOMPARE(w.runsModel()->item(0, 5)->text(), QString("failed"));
    QVERIFY2(w.runsModel()->item(0, 10)->text().contains("QEMU"), qPrintable(w.runsModel()->item(0, 10)->text()));
    QCOMPARE(w.runsModel()->item(1, 5)->text(), QString("done"));
  }

  void connectsToASupplyFromABenchFile() {
    auto sim = aidi::inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
    QVERIFY(sim);
    const QString bench = m_path + "/bench.toml";
    std::ofstream(bench.toStdString()) << "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                                          "max_current = 0.1\n[supply]\nresource = \"TCPIP0::127.0.0.1::"
                                       << (*sim)->port()
                                       << "::SOCKET\"\n[link]\nresource = \"ASRL/dev/ttyAIDI-none::INSTR\"\n";
    MainWindow w;
    QVERIFY(w.useBench(bench));
    QVERIFY(w.benchSummary().contains("3.6 V"));
    QSignalSpy connected(&w, &MainWindow::benchConnected);
    w.connectBench();
    QVERIFY(connected.wait(30000));
    QCOMPARE(connected.front().front().toBool(), false);  // the serial link is absent
    QVERIFY2(w.benchSummary().contains("DP832"), qPrintable(w.benchSummary() + " / " + w.errorText()));
    QVERIFY2(w.errorText().contains("/dev/ttyAIDI-none not found"), qPrintable(w.errorText()));
  }

  // A lab's campaign (docs/lab.md) opens as a run database: its runs in the
  // browser, the status line naming the lab; a bad URL or an unknown
  // campaign is a banner, and the database shown stays.
  void opensALabCampaign() {
    std::string why;
    auto server = aidi::test::PostgresServer::start(why);
    if (!server) QSKIP(why.c_str());
    ::setenv("PGPASSWORD", aidi::test::PostgresServer::kPassword, 1);
    const std::string url = server->url();
    QVERIFY(aidi::lab::LabStore::init(url));
    const QString campaign = writeCampaign(m_path, "in-the-lab", R"(["inas-tiny"])", R"(["loop", "aidi"])", 1);
    auto submitted = aidi::core::submitToLab(url, campaign.toStdString(), aidi::core::defaultModelDirectory(), {});
    QVERIFY2(submitted, submitted ? "" : submitted.error().message.c_str());
    // A worker's results, recorded as a worker records them.
    auto store = aidi::lab::LabStore::connect(url);
    QVERIFY(store);
    for (int k = 0; k < 2; ++k) {
      auto claim = store->claim("gui-test", {{"target", "mps2-an386"}}, 30);
      QVERIFY(claim && *claim);
      QVERIFY(store->upload({(*claim)->uuid, "gui-test", 1, true, "", {{1, 0, 9, 9, true, 10.0, 9.9, 100.0, 1}}}));
    }
    MainWindow w;
    QSignalSpy shown(&w, &MainWindow::runsRefreshed);
    QVERIFY2(w.openLab(QString::fromStdString(url), "in-the-lab"), qPrintable(w.errorText()));
    QTRY_VERIFY_WITH_TIMEOUT(!w.refreshing() && shown.count() > 0, 20000);
    QCOMPARE(w.runsModel()->rowCount(), 2);
    QCOMPARE(w.runsModel()->item(0, 5)->text(), QString("done"));
    const QString copy = w.databasePath();
    QVERIFY(!w.openLab(QString::fromStdString(url), "no-such-campaign"));
    QVERIFY2(w.errorText().contains("no campaign \"no-such-campaign\""), qPrintable(w.errorText()));
    QCOMPARE(w.databasePath(), copy);
    QVERIFY(!w.openLab("postgresql://aidi:secret@127.0.0.1:1/x", "in-the-lab"));
    QVERIFY2(w.errorText().contains("holds a password"), qPrintable(w.errorText()));
  }

  // An advice (aidi advise) in its tab: the front, the recommendation and
  // its validation, every configuration; a double-click opens its run.
  void adviceShowsItsFrontAndOpensTheRunBehindAPoint() {
    aidi::core::AdviceRequest request;
    request.trace = (kFixtures + "/traces/indoor-strong.csv").toStdString();
    request.deadlineS = 30;
    request.models = {"inas-tiny"};
    request.policies = {"loop", "fixed-tile", "aidi"};
    request.capMinUf = 100;
    request.capMaxUf = 1000;
    request.capsPerDecade = 2;
    request.refineRounds = 0;
    request.holdoutStarts = 2;
    aidi::core::AdviceOptions options;
    options.database = m_dir->path() / "advice.sqlite";
    options.modelZoo = aidi::core::defaultModelDirectory();
    options.subset = aidi::core::subsetFileFor(options.modelZoo);
    auto advice = aidi::core::advise(request, options);
    QVERIFY2(advice, advice ? "" : advice.error().message.c_str());
    MainWindow w;
    QVERIFY(!w.showAdvice());
    QVERIFY2(w.errorText().contains("Open the database"), qPrintable(w.errorText()));
    QVERIFY2(w.openDatabase(QString::fromStdString(options.database.string())), qPrintable(w.errorText()));
    QVERIFY(!w.showAdvice(999));
    QVERIFY2(w.errorText().contains("999"), qPrintable(w.errorText()));
    QVERIFY2(w.showAdvice(), qPrintable(w.errorText()));
    QVERIFY2(w.statusBar()->currentMessage().isEmpty(), "a success clears the error it follows");
    w.resize(1280, 820);
    // The README's picture of the advisor (make screenshots).
    QVERIFY(w.grab().save(QStringLiteral(AIDI_BINARY_DIR "/aidi-bench-advice.png")));
    QTableWidget* table = w.adviceTable();
    QVERIFY(table);
    QCOMPARE(table->rowCount(), static_cast<int>(advice->points.size()));
    const int recommended = static_cast<int>(*advice->recommended);
    QCOMPARE(table->item(recommended, 8)->text(), QString("recommended"));
    const qint64 run = advice->points[*advice->recommended].run;
    QCOMPARE(table->item(recommended, 7)->text(), QString::number(run));
    emit table->cellDoubleClicked(recommended, 2);
    bool opened = false;
    auto* tabs = w.findChild<QTabWidget*>();
    for (int i = 0; i < tabs->count(); ++i) opened |= tabs->widget(i)->property("runId").toLongLong() == run;
    QVERIFY2(opened, "the recommended configuration's run opened in a tab");
    // The plot too: a click on a point opens the run behind it.
    QWidget* front = w.adviceFront();
    QVERIFY(front);
    front->resize(720, 420);
    const auto placed = aidi::core::adviceFrontPlacement(*advice);
    QVERIFY(!placed.empty());
    // A point whose run is not open yet.
    auto target = placed.back();
    for (const auto& p : placed)
      if (advice->points[p.point].run != run) target = p;
    QVERIFY2(advice->points[target.point].run != run, "the plot has another point to click");
    const qint64 clickedRun = advice->points[target.point].run;
    const int tabsBefore = tabs->count();
    QTest::mouseClick(front, Qt::LeftButton, {},
                      QPoint(static_cast<int>(target.x * front->width() / aidi::core::kFrontPlotWidth),
                             static_cast<int>(target.y * front->height() / aidi::core::kFrontPlotHeight)));
    bool clicked = false;
    for (int i = 0; i < tabs->count(); ++i) clicked |= tabs->widget(i)->property("runId").toLongLong() == clickedRun;
    QVERIFY2(clicked, "the clicked point's run is open");
    QVERIFY(tabs->count() >= tabsBefore);
    QTest::mouseClick(front, Qt::LeftButton, {}, QPoint(2, 2));  // nowhere near a point: nothing opens
  }

  // Attached to an `aidi serve` (in this process, on loopback): a campaign
  // file runs on it and drives the live view; its runs fill the browser
  // over the API; a run opens from the campaign's export; the report is
  // the server's; a campaign another client starts is followed; a server
  // that goes away says so.
  void attachedToAServer() {
    aidi::core::ApiServerOptions options;
    options.database = m_dir->path() / "served.sqlite";
    options.modelZoo = aidi::core::defaultModelDirectory();
    options.subset = aidi::core::subsetFileFor(options.modelZoo);
    auto server = aidi::core::ApiServer::start(options);
    QVERIFY2(server, server ? "" : server.error().message.c_str());
    const QString address = QString("127.0.0.1:%1").arg((*server)->port());
    MainWindow w;
    QVERIFY(!w.attachServer("no-port-here"));
    QVERIFY2(w.errorText().contains("HOST:PORT"), qPrintable(w.errorText()));
    QVERIFY(!w.attachServer("127.0.0.1:1"));
    QVERIFY2(w.errorText().contains("127.0.0.1:1"), qPrintable(w.errorText()));
    QSignalSpy shown(&w, &MainWindow::runsRefreshed);
    QVERIFY2(w.attachServer(address), qPrintable(w.errorText()));
    QVERIFY(w.attached());
    QTRY_VERIFY_WITH_TIMEOUT(!w.refreshing() && shown.count() > 0, 20000);
    QCOMPARE(w.runsModel()->rowCount(), 0);

    QSignalSpy finished(&w, &MainWindow::campaignFinished);
    const QString campaign = writeCampaign(m_path, "served", R"(["inas-tiny"])", R"(["loop", "aidi"])", 1);
    QVERIFY2(w.runCampaignFile(campaign), qPrintable(w.errorText()));
    QVERIFY(w.isRunning());
    QVERIFY(finished.wait(180000));
    QCOMPARE(finished.first().first().toBool(), true);
    QVERIFY2(w.plot()->sampleCount() > 0, "the live view drew the server's power cycles");
    QCOMPARE(w.resultsList()->count(), 2);
    refreshAndWait(w);
    QCOMPARE(w.runsModel()->rowCount(), 2);
    QCOMPARE(w.runsModel()->item(0, 0)->text(), QString("served"));
    QCOMPARE(w.runsModel()->item(0, 5)->text(), QString("done"));
    QVERIFY(w.databasePath().isEmpty());  // nothing was recorded here
    QVERIFY2(w.showRunTimeline(runIdAt(w, 1)), qPrintable(w.errorText()));
    QVERIFY2(w.compareRuns({runIdAt(w, 0), runIdAt(w, 1)}), qPrintable(w.errorText()));
    const QString report = m_path + "/served.html";
    QVERIFY2(w.exportReport(report), qPrintable(w.errorText()));
    QFile html(report);
    QVERIFY(html.open(QIODevice::ReadOnly));
    QVERIFY(html.readAll().contains("served"));

    // Another client's campaign: the live view follows it.
    aidi::core::ApiClientOptions other;
    other.port = (*server)->port();
    auto driver = aidi::core::ApiClient::connect(other);
    QVERIFY2(driver, driver ? "" : driver.error().message.c_str());
    QVERIFY((*driver)->call("lock"));
    QVERIFY((*driver)->call("harvester.set", {{"harvest", {{"constant_w", 0.002}, {"capacitor_uf", 100}}}}));
    auto started = (*driver)->call("run.start", {{"model", "inas-tiny"}, {"policy", "aidi"}});
    QVERIFY2(started, started ? "" : started.error().message.c_str());
    QTRY_VERIFY_WITH_TIMEOUT(w.resultsList()->count() == 1, 120000);  // its one inference, in a cleared view
    QVERIFY((*driver)->call("campaign.wait", {{"timeout_s", 120}}, std::chrono::minutes(3)));
    QTRY_VERIFY_WITH_TIMEOUT(!w.refreshing() && w.runsModel()->rowCount() == 3, 20000);

    // The server goes away: said, and nothing local is touched.
    driver->reset();
    (*server)->stop();
    QTRY_VERIFY_WITH_TIMEOUT(w.errorText().contains("Server:"), 20000);
    w.detachServer();
    QVERIFY(!w.attached());
  }

 private:
  std::optional<aidi::inst::TempDir> m_dir;
  QString m_path;
};

QTEST_MAIN(GuiTest)
#include "gui_test.moc"
