// A plot painted into a file: .svg (vector, QSvgGenerator) or any image
// format Qt writes (.png ...), by the path's extension. The widgets paint
// through the same render(painter, area) they draw on screen with, so an
// export shows exactly what the view shows.
#pragma once

#include <QPainter>
#include <QRect>
#include <QSize>
#include <QString>
#include <functional>

namespace aidi::gui {

// False when the file cannot be written.
bool exportPainted(const QString& path, QSize size, const QString& title,
                   const std::function<void(QPainter&, const QRect&)>& paint);

}  // namespace aidi::gui
