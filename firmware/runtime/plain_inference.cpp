#include "plain_inference.hpp"

namespace aidi::fw {

void runLayer(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
              std::int8_t* arena) {
  const LayerInfo l = model.layer(index);
  const TensorInfo in = model.tensor(l.input0);
  const TensorInfo out = model.tensor(l.output);
  const std::int8_t* x = arena + plan.offset[l.input0];
  std::int8_t* y = arena + plan.offset[l.output];
  ConvParams conv;
  conv.kernelH = l.kernelH;
  conv.kernelW = l.kernelW;
  conv.strideH = l.strideH;
  conv.strideW = l.strideW;
  conv.padTop = l.padTop;
  conv.padLeft = l.padLeft;
  conv.inputOffset = -in.zeroPoint;
  conv.outputOffset = out.zeroPoint;
  conv.actMin = l.actMin;
  conv.actMax = l.actMax;
  const PerChannelQuant quant{l.multiplier, l.shift};
  switch (l.op) {
    case ModelOp::Conv2d:
      if (l.kernelH == 1 && l.kernelW == 1 && l.strideH == 1 && l.strideW == 1 && l.padTop == 0 && l.padLeft == 0)
        kernels.pointwiseConv2d(conv, quant, in.shape, x, l.weights, l.bias, out.shape, y);
      else
        kernels.conv2d(conv, quant, in.shape, x, l.weights, l.bias, out.shape, y);
      break;
    case ModelOp::DepthwiseConv2d:
      kernels.depthwiseConv2d(conv, quant, in.shape, x, l.weights, l.bias, out.shape, y);
      break;
    case ModelOp::FullyConnected:
      kernels.fullyConnected(conv, quant, in.shape.size(), x, l.weights, l.bias, out.shape.c, y);
      break;
    case ModelOp::AvgPool:
    case ModelOp::MaxPool: {
      PoolParams pool;
      pool.kernelH = l.kernelH;
      pool.kernelW = l.kernelW;
      pool.strideH = l.strideH;
      pool.strideW = l.strideW;
      pool.padTop = l.padTop;
      pool.padLeft = l.padLeft;
      pool.actMin = l.actMin;
      pool.actMax = l.actMax;
      (l.op == ModelOp::AvgPool ? kernels.avgPool : kernels.maxPool)(pool, in.shape, x, out.shape, y);
      break;
    }
    case ModelOp::Add: {
      const TensorInfo in2 = model.tensor(l.input1);
      AddParams add;
      add.input1Offset = -in.zeroPoint;
      add.input2Offset = -in2.zeroPoint;
      add.outputOffset = out.zeroPoint;
      add.leftShift = l.extra[0];
      add.input1Multiplier = l.multiplier[0];
      add.input2Multiplier = l.multiplier[1];
      add.outputMultiplier = l.multiplier[2];
      add.input1Shift = l.shift[0];
      add.input2Shift = l.shift[1];
      add.outputShift = l.shift[2];
      add.actMin = l.actMin;
      add.actMax = l.actMax;
      kernels.add(add, out.shape.size(), x, arena + plan.offset[l.input1], y);
      break;
    }
  }
}

int runPlainInference(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels,
                      const std::uint8_t* image, std::int8_t* arena, std::int8_t* logits, int maxLogits) {
  const TensorInfo input = model.tensor(model.inputTensor());
  std::int8_t* x = arena + plan.offset[model.inputTensor()];
  // scale 1/255: the int8 value is the pixel plus the zero point (-128).
  for (std::int32_t i = 0; i < input.shape.size(); ++i) x[i] = static_cast<std::int8_t>(image[i] + input.zeroPoint);
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
