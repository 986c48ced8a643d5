// libFuzzer target for the protocol decoder and the typed payload decoders.
//
// Properties checked on every input:
//  - the decoder never crashes, leaks or hits UB (ASan/UBSan), in any chunking;
//  - every frame it yields re-encodes to a frame that decodes to the same bytes
//    (so the CRC it verified is the CRC of what it yielded);
//  - a typed payload that decodes re-encodes to a prefix of the payload
//    (fields this build knows, newer fields ignored), and never reads past it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi::proto;

namespace {

[[noreturn]] void fail(const char* why) {
  __builtin_printf("property violated: %s\n", why);
  std::abort();
}

template <class M>
void checkTyped(const Frame& frame) {
  M message;
  std::memset(static_cast<void*>(&message), 0xCD, sizeof message);
  if (decodeMessage(frame, message) != PayloadStatus::Ok) return;
  std::uint8_t again[kMaxPayload];
  const std::size_t n = encodePayload(message, again, sizeof again);
  if (n > frame.payloadSize) fail("typed re-encode longer than the payload");
  if (n && std::memcmp(again, frame.payload, n) != 0) fail("typed re-encode differs from the payload");
}

void checkFrame(const Frame& frame) {
  std::uint8_t wire[kMaxEncodedFrame];
  const std::size_t n = encodeFrame(frame.type, frame.bootId, frame.seq, frame.payload, frame.payloadSize, wire,
                                    sizeof wire);
  if (n == 0) fail("yielded frame does not re-encode");
  FrameDecoder again;
  int frames = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (again.push(wire[i]) == DecodeResult::Frame) {
      ++frames;
      const Frame& f = again.frame();
      if (f.type != frame.type || f.bootId != frame.bootId || f.seq != frame.seq ||
          f.payloadSize != frame.payloadSize || std::memcmp(f.payload, frame.payload, f.payloadSize) != 0)
        fail("re-encoded frame decodes differently");
    }
  }
  if (frames != 1) fail("re-encoded frame did not decode exactly once");

  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::Hello: checkTyped<Hello>(frame); break;
    case MessageType::Boot: checkTyped<Boot>(frame); break;
    case MessageType::Checkpoint: checkTyped<Checkpoint>(frame); break;
    case MessageType::Result: checkTyped<InferenceResult>(frame); break;
    case MessageType::PowerFail: checkTyped<PowerFail>(frame); break;
    case MessageType::Log: checkTyped<Log>(frame); break;
    case MessageType::Error: checkTyped<DeviceError>(frame); break;
    case MessageType::Pong: checkTyped<Pong>(frame); break;
    case MessageType::Run: checkTyped<RunCommand>(frame); break;
    case MessageType::SetPlan: checkTyped<SetPlan>(frame); break;
    case MessageType::Ping: checkTyped<Ping>(frame); break;
    case MessageType::Stop: checkTyped<Stop>(frame); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Whole input at once, then byte by byte: the same frames either way.
  FrameDecoder whole(isKnownMessageType);
  std::uint64_t framesWhole = 0;
  whole.feed(
      data, size,
      [](const Frame& f, void* count) {
        checkFrame(f);
        ++*static_cast<std::uint64_t*>(count);
      },
      &framesWhole);
  FrameDecoder bytewise(isKnownMessageType);
  std::uint64_t framesBytewise = 0;
  for (std::size_t i = 0; i < size; ++i)
    if (bytewise.push(data[i]) == DecodeResult::Frame) ++framesBytewise;
  if (framesWhole != framesBytewise) fail("chunking changed the frames");
  if (whole.counters().bytes != size) fail("byte count");

  std::uint8_t out[512];
  (void)cobsDecode(data, size < 300 ? size : 300, out, sizeof out);
  return 0;
}
