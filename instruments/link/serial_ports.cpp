#include "aidi/inst/serial_ports.hpp"

#include <libserialport.h>

#include "aidi/inst/registry.hpp"

namespace aidi::inst {

Result<std::vector<SerialPortInfo>> listSerialPorts() {
  sp_port** ports = nullptr;
  if (const sp_return rc = sp_list_ports(&ports); rc != SP_OK) {
    char* message = sp_last_error_message();
    std::string text = message ? message : "unknown error";
    sp_free_error_message(message);
    return fail(ErrorCode::Io, "cannot list serial ports: " + text);
  }
  std::vector<SerialPortInfo> found;
  for (sp_port** p = ports; *p; ++p) {
    SerialPortInfo info;
    info.name = sp_get_port_name(*p);
    if (const char* d = sp_get_port_description(*p)) info.description = d;
    switch (sp_get_port_transport(*p)) {
      case SP_TRANSPORT_USB: {
        info.transport = "usb";
        int vid = -1, pid = -1;
        if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) info.usbVid = vid, info.usbPid = pid;
        if (const auto* known = usbInstrument(vid, pid)) {
          info.driver = known->driver;
          if (info.description.empty()) info.description = known->name;
        }
        if (const char* s = sp_get_port_usb_serial(*p)) info.serialNumber = s;
        break;
      }
      case SP_TRANSPORT_BLUETOOTH: info.transport = "bluetooth"; break;
      default: info.transport = "native"; break;
    }
    found.push_back(std::move(info));
  }
  sp_free_port_list(ports);
  return found;
}

}  // namespace aidi::inst
