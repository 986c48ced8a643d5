#include "plain_inference.hpp"

#include "row_window.hpp"

namespace aidi::fw {

ConvParams convParamsOf(const ModelView& model, const LayerInfo& l, std::int32_t padTop) {
  ConvParams conv;
  conv.kernelH = l.kernelH;
  conv.kernelW = l.kernelW;
  conv.strideH = l.strideH;
  conv.strideW = l.strideW;
  conv.padTop = padTop;
  conv.padLeft = l.padLeft;
  conv.inputOffset = -model.tensor(l.input0).zeroPoint;
  conv.outputOffset = model.tensor(l.output).zeroPoint;
  conv.actMin = l.actMin;
  conv.actMax = l.actMax;
  return conv;
}

void executeLayer(const ModelView& model, const KernelSet& kernels, const LayerInfo& l, const TensorSlice& in,
                  const TensorSlice* in2, std::int32_t padTop, const TensorSlice& out) {
  const TensorInfo inInfo = model.tensor(l.input0);
  const TensorInfo outInfo = model.tensor(l.output);
  const ConvParams conv = convParamsOf(model, l, padTop);
  const PerChannelQuant quant{l.multiplier, l.shift};
  switch (l.op) {
    case ModelOp::Conv2d:
      if (l.kernelH == 1 && l.kernelW == 1 && l.strideH == 1 && l.strideW == 1 && padTop == 0 && l.padLeft == 0)
        kernels.pointwiseConv2d(conv, quant, in.shape, in.data, l.weights, l.bias, out.shape, out.data);
      else
        kernels.conv2d(conv, quant, in.shape, in.data, l.weights, l.bias, out.shape, out.data);
      break;
    case ModelOp::DepthwiseConv2d:
      kernels.depthwiseConv2d(conv, quant, in.shape, in.data, l.weights, l.bias, out.shape, out.data);
      break;
    case ModelOp::FullyConnected:
      kernels.fullyConnected(conv, quant, in.shape.size(), in.data, l.weights, l.bias, out.shape.c, out.data);
      break;
    case ModelOp::AvgPool:
    case ModelOp::MaxPool: {
      PoolParams pool;
      pool.kernelH = l.kernelH;
      pool.kernelW = l.kernelW;
      pool.strideH = l.strideH;
      pool.strideW = l.strideW;
      pool.padTop = padTop;
      pool.padLeft = l.padLeft;
      pool.actMin = l.actMin;
      pool.actMax = l.actMax;
      (l.op == ModelOp::AvgPool ? kernels.avgPool : kernels.maxPool)(pool, in.shape, in.data, out.shape, out.data);
      break;
    }
    case ModelOp::Add: {
      AddParams add;
      add.input1Offset = -inInfo.zeroPoint;
      add.input2Offset = -model.tensor(l.input1).zeroPoint;
      add.outputOffset = outInfo.zeroPoint;
      add.leftShift = l.extra[0];
      add.input1Multiplier = l.multiplier[0];
      add.input2Multiplier = l.multiplier[1];
      add.outputMultiplier = l.multiplier[2];
      add.input1Shift = l.shift[0];
      add.input2Shift = l.shift[1];
      add.outputShift = l.shift[2];
      add.actMin = l.actMin;
      add.actMax = l.actMax;
      kernels.add(add, out.shape.size(), in.data, in2->data, out.data);
      break;
    }
  }
}

void runRows(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
             std::int32_t first, std::int32_t last, std::int8_t* arena) {
  const LayerInfo l = model.layer(index);
  const Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
  const RowWindow w = inputRows(l, in, first, last);
  const std::int32_t inRow = in.w * in.c, outRow = out.w * out.c;
  const TensorSlice inSlice{Shape{w.last - w.first, in.w, in.c}, arena + plan.offset[l.input0] + w.first * inRow};
  const TensorSlice outSlice{Shape{last - first, out.w, out.c}, arena + plan.offset[l.output] + first * outRow};
  if (l.op == ModelOp::Add) {
    const TensorSlice in2{Shape{last - first, out.w, out.c}, arena + plan.offset[l.input1] + first * outRow};
    executeLayer(model, kernels, l, inSlice, &in2, 0, outSlice);
  } else {
    executeLayer(model, kernels, l, inSlice, nullptr, w.padTop, outSlice);
  }
}

void runLayer(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
              std::int8_t* arena) {
  runRows(model, plan, kernels, index, 0, model.tensor(model.layer(index).output).shape.h, arena);
}

void quantizeImage(const ModelView& model, const std::uint8_t* image, std::uint32_t first, std::uint32_t count,
                   std::int8_t* out) {
  const std::int32_t zeroPoint = model.tensor(model.inputTensor()).zeroPoint;
  for (std::uint32_t i = 0; i < count; ++i) out[i] = static_cast<std::int8_t>(image[first + i] + zeroPoint);
}

int runPlainInference(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels,
                      const std::uint8_t* image, std::int8_t* arena, std::int8_t* logits, int maxLogits) {
  const TensorInfo input = model.tensor(model.inputTensor());
  quantizeImage(model, image, 0, static_cast<std::uint32_t>(input.shape.size()), arena + plan.offset[model.inputTensor()]);
  for (std::uint16_t l = 0; l < model.layerCount(); ++l) runLayer(model, plan, kernels, l, arena);
  const std::uint16_t outIndex = model.outputTensor();
  const std::int32_t n = model.tensor(outIndex).shape.size();
  const std::int8_t* out = arena + plan.offset[outIndex];
  int best = 0;
  for (std::int32_t i = 0; i < n; ++i) {
    if (i < maxLogits) logits[i] = out[i];
    if (out[i] > out[best]) best = i;
  }
  return best;
}

}  // namespace aidi::fw
