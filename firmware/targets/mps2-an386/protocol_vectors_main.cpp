// Test firmware: encodes every golden message of fixtures/protocol on the
// device and sends the frames on UART0, so the bench can check that the
// firmware's bytes equal the vectors (tests/firmware/protocol_vectors_test).
#include <cstdint>

#include "aidi/proto/frame.hpp"
#include "aidi/proto/messages.hpp"
#include "cmsdk_uart.hpp"
#include "board.hpp"
#include "systick.hpp"

namespace {

using namespace aidi::proto;

constexpr aidi::fw::mps2::CmsdkUart kTelemetryUart{aidi::fw::mps2::kUart0Base};

template <class M>
void send(std::uint16_t bootId, std::uint16_t seq, const M& message) {
  std::uint8_t payload[kMaxPayload];
  const std::size_t n = encodePayload(message, payload, sizeof payload);
  std::uint8_t wire[kMaxEncodedFrame];
  const std::size_t size = encodeFrame(static_cast<std::uint8_t>(M::kType), bootId, seq, payload, n, wire, sizeof wire);
  kTelemetryUart.write(wire, size);
}

}  // namespace

int main() {
  kTelemetryUart.enable();
  aidi::fw::mps2::startSysTick();
  kTelemetryUart.writeByte(kDelimiter);  // boot resync
#define AIDI_VECTOR(name, bootId, seq, message) send(bootId, seq, message);
#include "golden_messages.inc"
#undef AIDI_VECTOR
  for (;;) __asm volatile("wfi");
}
