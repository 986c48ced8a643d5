// A read-only view of a model file (FORMAT.md) in memory: on the device the
// bytes sit in flash and are used in place; on the host they are a loaded file.
// parse() validates everything a kernel relies on before any inference, so
// the kernels never see an inconsistent shape or an out-of-bounds pointer.
// Freestanding: no heap, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aidi/kernels/params.hpp"

namespace aidi::fw {

enum class ModelOp : std::uint8_t {
  Conv2d = 1,
  DepthwiseConv2d = 2,
  FullyConnected = 3,
  AvgPool = 4,
  MaxPool = 5,
  Add = 6,
};

enum class ModelStatus : std::uint8_t {
  Ok,
  TooSmall,          // shorter than the header
  BadMagic,          // not a model file
  BadVersion,        // a format version this build cannot read
  BadSize,           // header's file size differs from the buffer's
  BadCrc,            // body CRC-32C mismatch
  BadTable,          // a table or data section outside the file
  BadTensor,         // a tensor index out of range or an empty shape
  BadShape,          // a layer's output shape does not follow from its input
  BadWeights,        // weight, bias or quantization section missing, misplaced or mis-sized
  BadOp,             // an unknown op
};

const char* toString(ModelStatus status);

inline constexpr std::size_t kModelHeaderSize = 64;
inline constexpr std::size_t kModelTensorSize = 16;
inline constexpr std::size_t kModelLayerSize = 64;
inline constexpr std::uint16_t kModelFormatVersion = 1;
inline constexpr std::uint16_t kNoTensor = 0xFFFF;

struct TensorInfo {
  Shape shape;
  float scale;
  std::int32_t zeroPoint;
  bool isInput, isOutput;
};

struct LayerInfo {
  ModelOp op;
  std::int32_t kernelH, kernelW, strideH, strideW, padTop, padLeft;
  std::uint16_t input0, input1, output;
  std::int32_t actMin, actMax;
  const std::int8_t* weights;  // nullptr when absent
  std::uint32_t weightsSize;
  const std::int32_t* bias;
  const std::int32_t* multiplier;
  const std::int32_t* shift;
  std::int32_t extra[5];
};

class ModelView {
 public:
  // Validates `size` bytes at `data` (4-byte aligned). On failure, `badIndex`
  // names the tensor or layer at fault (or -1). `checkCrc` false skips the
  // body CRC (a device that verified the model when the run began need not
  // spend ~8 cycles a byte on it at every boot); the structure is always checked.
  ModelStatus parse(const std::uint8_t* data, std::size_t size, bool checkCrc = true);

  std::uint16_t layerCount() const { return m_layerCount; }
  std::uint16_t tensorCount() const { return m_tensorCount; }
  const char* name() const { return m_name; }
  // The body's CRC-32C as the header stores it: the model's identity.
  std::uint32_t storedCrc() const { return m_storedCrc; }
  int badIndex() const { return m_badIndex; }
  TensorInfo tensor(std::uint16_t index) const;
  LayerInfo layer(std::uint16_t index) const;
  std::uint16_t inputTensor() const { return 0; }
  std::uint16_t outputTensor() const;
  // Multiply-accumulates of layer `index`, and of one inference.
  std::uint64_t layerMacs(std::uint16_t index) const;
  std::uint64_t macs() const;

 private:
  ModelStatus checkLayer(std::uint16_t index) const;
  const std::uint8_t* m_data = nullptr;
  std::size_t m_size = 0;
  std::uint16_t m_layerCount = 0, m_tensorCount = 0;
  std::uint32_t m_tensorsOffset = 0, m_layersOffset = 0;
  std::uint32_t m_storedCrc = 0;
  char m_name[25] = {};
  int m_badIndex = -1;
};

}  // namespace aidi::fw
