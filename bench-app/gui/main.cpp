// aidi-bench: the interactive profiling GUI (bench-app/gui/main_window.hpp).
//   aidi-bench [--db FILE | FILE] [--help] [--version]
// The database shown: --db (or a lone FILE), else AIDI_DB, else the last one.
#include <QApplication>
#include <QCommandLineParser>

#include <cstdlib>

#include "main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("AIDI");
  QApplication::setApplicationName("aidi-bench");
  QApplication::setApplicationVersion(AIDI_VERSION);

  QCommandLineParser options;
  options.setApplicationDescription("AIDI Bench: interactive profiling of intermittent deep inference");
  options.addHelpOption();
  options.addVersionOption();
  const QCommandLineOption database({"d", "db"}, "Run database to open (or set AIDI_DB).", "FILE");
  options.addOption(database);
  options.addPositionalArgument("FILE", "Run database to open (the same as --db).", "[FILE]");
  options.process(app);  // --help and --version print and exit here; an unknown option is an error

  QString path = options.value(database);
  if (path.isEmpty() && !options.positionalArguments().isEmpty()) path = options.positionalArguments().front();
  if (path.isEmpty())
    if (const char* env = std::getenv("AIDI_DB"); env && *env) path = QString::fromLocal8Bit(env);

  aidi::gui::MainWindow window;
  window.resize(1200, 760);
  window.show();
  if (!path.isEmpty()) window.openDatabase(path);
  return app.exec();
}
