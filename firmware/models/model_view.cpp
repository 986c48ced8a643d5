#include "model_view.hpp"

#include <cstring>

#include "aidi/proto/crc32c.hpp"

namespace aidi::fw {
namespace {

std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::int32_t i32(const std::uint8_t* p) { return static_cast<std::int32_t>(u32(p)); }

bool within(std::size_t size, std::uint32_t offset, std::uint64_t bytes) {
  return offset <= size && bytes <= size - offset;
}

std::int32_t convOut(std::int32_t in, std::int32_t k, std::int32_t s, std::int32_t pad) {
  // PyTorch-style symmetric padding: pad on both sides.
  return (in + 2 * pad - k) / s + 1;
}

}  // namespace

const char* toString(ModelStatus status) {
  switch (status) {
    case ModelStatus::Ok: return "ok";
    case ModelStatus::TooSmall: return "file shorter than its header";
    case ModelStatus::BadMagic: return "not an AIDI model file (wrong magic)";
    case ModelStatus::BadVersion: return "unsupported model format version";
    case ModelStatus::BadSize: return "file size does not match the header";
    case ModelStatus::BadCrc: return "CRC mismatch: the model file is damaged";
    case ModelStatus::BadTable: return "a table lies outside the file";
    case ModelStatus::BadTensor: return "bad tensor index or shape";
    case ModelStatus::BadShape: return "layer output shape does not follow from its input";
    case ModelStatus::BadWeights: return "weights, bias or quantization missing or mis-sized";
    case ModelStatus::BadOp: return "unknown layer op";
  }
  return "invalid status";
}

ModelStatus ModelView::parse(const std::uint8_t* data, std::size_t size, bool checkCrc) {
  m_badIndex = -1;
  if (size < kModelHeaderSize) return ModelStatus::TooSmall;
  if (std::memcmp(data, "AIDIMDL\0", 8) != 0) return ModelStatus::BadMagic;
  if (u16(data + 8) != kModelFormatVersion) return ModelStatus::BadVersion;
  if (u32(data + 16) != size) return ModelStatus::BadSize;
  if (checkCrc && proto::Crc32c::calculate(data + kModelHeaderSize, size - kModelHeaderSize) != u32(data + 20))
    return ModelStatus::BadCrc;
  m_data = data;
  m_size = size;
  m_layerCount = u16(data + 10);
  m_tensorCount = u16(data + 12);
  std::memcpy(m_name, data + 24, 24);
  m_name[24] = '\0';
  m_storedCrc = u32(data + 20);
  m_tensorsOffset = u32(data + 48);
  m_layersOffset = u32(data + 52);
  if (m_tensorCount == 0 || m_layerCount == 0 || m_tensorsOffset % 4 || m_layersOffset % 4 ||
      !within(size, m_tensorsOffset, std::uint64_t{m_tensorCount} * kModelTensorSize) ||
      !within(size, m_layersOffset, std::uint64_t{m_layerCount} * kModelLayerSize))
    return ModelStatus::BadTable;
  for (std::uint16_t t = 0; t < m_tensorCount; ++t) {
    const Shape s = tensor(t).shape;
    if (s.h <= 0 || s.w <= 0 || s.c <= 0) {
      m_badIndex = t;
      return ModelStatus::BadTensor;
    }
  }
  for (std::uint16_t l = 0; l < m_layerCount; ++l) {
    if (const ModelStatus st = checkLayer(l); st != ModelStatus::Ok) {
      m_badIndex = l;
      return st;
    }
  }
  return ModelStatus::Ok;
}

TensorInfo ModelView::tensor(std::uint16_t index) const {
  const std::uint8_t* p = m_data + m_tensorsOffset + std::size_t{index} * kModelTensorSize;
  TensorInfo t;
  t.shape = Shape{u16(p), u16(p + 2), u16(p + 4)};
  const std::uint16_t flags = u16(p + 6);
  std::memcpy(&t.scale, p + 8, 4);
  t.zeroPoint = i32(p + 12);
  t.isInput = flags & 1;
  t.isOutput = flags & 2;
  return t;
}

LayerInfo ModelView::layer(std::uint16_t index) const {
  const std::uint8_t* p = m_data + m_layersOffset + std::size_t{index} * kModelLayerSize;
  LayerInfo l;
  l.op = static_cast<ModelOp>(p[0]);
  l.kernelH = p[2];
  l.kernelW = p[3];
  l.strideH = p[4];
  l.strideW = p[5];
  l.padTop = p[6];
  l.padLeft = p[7];
  l.input0 = u16(p + 8);
  l.input1 = u16(p + 10);
  l.output = u16(p + 12);
  l.actMin = i32(p + 16);
  l.actMax = i32(p + 20);
  const std::uint32_t w = u32(p + 24);
  l.weightsSize = u32(p + 28);
  const std::uint32_t b = u32(p + 32), m = u32(p + 36), s = u32(p + 40);
  l.weights = w ? reinterpret_cast<const std::int8_t*>(m_data + w) : nullptr;
  l.bias = b ? reinterpret_cast<const std::int32_t*>(m_data + b) : nullptr;
  l.multiplier = m ? reinterpret_cast<const std::int32_t*>(m_data + m) : nullptr;
  l.shift = s ? reinterpret_cast<const std::int32_t*>(m_data + s) : nullptr;
  for (int i = 0; i < 5; ++i) l.extra[i] = i32(p + 44 + 4 * i);
  return l;
}

ModelStatus ModelView::checkLayer(std::uint16_t index) const {
  const std::uint8_t* p = m_data + m_layersOffset + std::size_t{index} * kModelLayerSize;
  const LayerInfo l = layer(index);
  if (l.input0 >= m_tensorCount || l.output >= m_tensorCount ||
      (l.op == ModelOp::Add ? l.input1 >= m_tensorCount : l.input1 != kNoTensor))
    return ModelStatus::BadTensor;
  const Shape in = tensor(l.input0).shape, out = tensor(l.output).shape;
  const auto section = [&](std::size_t at, std::uint64_t bytes, bool needed) {
    const std::uint32_t offset = u32(p + at);
    if (offset == 0) return !needed;
    return offset % 4 == 0 && within(m_size, offset, bytes);
  };
  if (l.actMin < -128 || l.actMax > 127 || l.actMin > l.actMax) return ModelStatus::BadShape;
  switch (l.op) {
    case ModelOp::Conv2d:
    case ModelOp::DepthwiseConv2d: {
      if (l.kernelH == 0 || l.kernelW == 0 || l.strideH == 0 || l.strideW == 0) return ModelStatus::BadShape;
      if (out.h != convOut(in.h, l.kernelH, l.strideH, l.padTop) ||
          out.w != convOut(in.w, l.kernelW, l.strideW, l.padLeft))
        return ModelStatus::BadShape;
      const bool depthwise = l.op == ModelOp::DepthwiseConv2d;
      if (depthwise && out.c != in.c) return ModelStatus::BadShape;
      const std::uint64_t weights = std::uint64_t{static_cast<std::uint32_t>(l.kernelH * l.kernelW)} *
                                    static_cast<std::uint32_t>(depthwise ? in.c : in.c * out.c);
      if (l.weightsSize != weights || !within(m_size, u32(p + 24), weights) || u32(p + 24) == 0)
        return ModelStatus::BadWeights;
      if (!section(32, 4ull * out.c, true) || !section(36, 4ull * out.c, true) || !section(40, 4ull * out.c, true))
        return ModelStatus::BadWeights;
      return ModelStatus::Ok;
    }
    case ModelOp::FullyConnected: {
      const std::uint64_t weights = std::uint64_t{static_cast<std::uint32_t>(in.size())} * static_cast<std::uint32_t>(out.c);
      if (out.h != 1 || out.w != 1) return ModelStatus::BadShape;
      if (l.weightsSize != weights || u32(p + 24) == 0 || !within(m_size, u32(p + 24), weights))
        return ModelStatus::BadWeights;
      if (!section(32, 4ull * out.c, true) || !section(36, 4ull * out.c, true) || !section(40, 4ull * out.c, true))
        return ModelStatus::BadWeights;
      return ModelStatus::Ok;
    }
    case ModelOp::AvgPool:
    case ModelOp::MaxPool:
      if (l.kernelH == 0 || l.kernelW == 0 || l.strideH == 0 || l.strideW == 0 || out.c != in.c ||
          out.h != convOut(in.h, l.kernelH, l.strideH, l.padTop) ||
          out.w != convOut(in.w, l.kernelW, l.strideW, l.padLeft))
        return ModelStatus::BadShape;
      return ModelStatus::Ok;
    case ModelOp::Add: {
      const Shape in2 = tensor(l.input1).shape;
      if (in.h != out.h || in.w != out.w || in.c != out.c || in2.h != in.h || in2.w != in.w || in2.c != in.c)
        return ModelStatus::BadShape;
      if (!section(36, 12, true) || !section(40, 12, true) || l.extra[0] < 0 || l.extra[0] > 24)
        return ModelStatus::BadWeights;
      return ModelStatus::Ok;
    }
  }
  return ModelStatus::BadOp;
}

std::uint16_t ModelView::outputTensor() const { return layer(static_cast<std::uint16_t>(m_layerCount - 1)).output; }

std::uint64_t ModelView::layerMacs(std::uint16_t index) const {
  const LayerInfo l = layer(index);
  const Shape in = tensor(l.input0).shape, out = tensor(l.output).shape;
  switch (l.op) {
    case ModelOp::Conv2d: return std::uint64_t(out.size()) * l.kernelH * l.kernelW * in.c;
    case ModelOp::DepthwiseConv2d: return std::uint64_t(out.size()) * l.kernelH * l.kernelW;
    case ModelOp::FullyConnected: return std::uint64_t(in.size()) * out.c;
    default: return 0;  // pooling and add multiply nothing
  }
}

std::uint64_t ModelView::macs() const {
  std::uint64_t total = 0;
  for (std::uint16_t i = 0; i < m_layerCount; ++i) total += layerMacs(i);
  return total;
}

}  // namespace aidi::fw
