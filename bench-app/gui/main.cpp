// aidi-bench: the interactive profiling GUI (bench-app/gui/main_window.hpp).
#include <QApplication>

#include "main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("AIDI");
  QApplication::setApplicationName("aidi-bench");
  aidi::gui::MainWindow window;
  window.resize(1200, 760);
  window.show();
  if (argc > 1) window.openDatabase(QString::fromLocal8Bit(argv[1]));
  return app.exec();
}
