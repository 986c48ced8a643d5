// The serial ports of this machine (USB adapters, ST-LINK virtual COM ports),
// as libserialport sees them: `aidi ports`.
#pragma once

#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct SerialPortInfo {
  std::string name;         // /dev/ttyACM0
  std::string description;  // e.g. "STM32 STLink"
  std::string transport;    // usb, native, bluetooth
  int usbVid = -1, usbPid = -1;
  std::string serialNumber;
  std::string driver;  // a known instrument's driver by its USB ids (usbInstrument), e.g. "ppk2"
};

[[nodiscard]] Result<std::vector<SerialPortInfo>> listSerialPorts();

}  // namespace aidi::inst
