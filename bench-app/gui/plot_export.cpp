#include "plot_export.hpp"

#include <QImage>
#include <QSvgGenerator>

namespace aidi::gui {

bool exportPainted(const QString& path, QSize size, const QString& title,
                   const std::function<void(QPainter&, const QRect&)>& paint) {
  const QRect area(QPoint(0, 0), size);
  if (path.endsWith(".svg", Qt::CaseInsensitive)) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(area);
    svg.setTitle(title);
    QPainter painter(&svg);
    paint(painter, area);
    return painter.end();
  }
  QImage image(size, QImage::Format_ARGB32_Premultiplied);
  QPainter painter(&image);
  paint(painter, area);
  painter.end();
  return image.save(path);
}

}  // namespace aidi::gui
