#include "aidi/inst/visa_resource.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace aidi::inst {
namespace {

std::vector<std::string> splitDoubleColon(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = s.find("::", start)) != std::string::npos; start = at + 2) parts.push_back(s.substr(start, at - start));
  parts.push_back(s.substr(start));
  return parts;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

Result<VisaResource> parseVisaResource(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::Unsupported, "resource \"" + text + "\": " + why);
  };
  VisaResource shortForm{VisaResource::Kind::TcpSocket, "", 0, "", text};
  if (text.starts_with("tcp:")) {
    const std::string address = text.substr(4);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) return bad("expected tcp:HOST:PORT");
    shortForm.host = address.substr(0, colon);
    if (shortForm.host.size() > 2 && shortForm.host.front() == '[' && shortForm.host.back() == ']')
      shortForm.host = shortForm.host.substr(1, shortForm.host.size() - 2);  // [::1]
    const char* p = address.c_str() + colon + 1;
    const auto [end, ec] = std::from_chars(p, address.c_str() + address.size(), shortForm.port);
    if (ec != std::errc{} || *end != '\0' || shortForm.port == 0)
      return bad("port \"" + address.substr(colon + 1) + "\" is not a number from 1 to 65535");
    return shortForm;
  }
  if (text.starts_with("serial:")) {
    shortForm.kind = VisaResource::Kind::Serial;
    shortForm.device = text.substr(7);
    if (shortForm.device.empty()) return bad("no serial device");
    return shortForm;
  }
  const auto parts = splitDoubleColon(text);
  const std::string head = upper(parts.front());
  VisaResource r{VisaResource::Kind::TcpSocket, "", 5025, "", text};
  if (head.starts_with("TCPIP")) {
    if (!std::all_of(head.begin() + 5, head.end(), [](unsigned char c) { return std::isdigit(c); }))
      return bad("expected TCPIP or TCPIP<board>");
    if (parts.size() < 3 || upper(parts.back()) != "SOCKET")
      return bad("expected TCPIP0::HOST::PORT::SOCKET (only raw SCPI sockets are supported)");
    r.host = parts[1];
    if (r.host.empty()) return bad("empty host");
    if (parts.size() == 4) {
      const auto [p, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), r.port);
      if (ec != std::errc{} || p != parts[2].data() + parts[2].size() || r.port == 0)
        return bad("port \"" + parts[2] + "\" is not a number from 1 to 65535");
    } else if (parts.size() != 3) {
      return bad("too many fields");
    }
    return r;
  }
  if (head.starts_with("ASRL")) {
    if (parts.size() != 2 || upper(parts[1]) != "INSTR") return bad("expected ASRL<device>::INSTR");
    r.kind = VisaResource::Kind::Serial;
    r.device = parts[0].substr(4);
    if (r.device.empty()) return bad("no serial device");
    if (std::all_of(r.device.begin(), r.device.end(), [](unsigned char c) { return std::isdigit(c); }))
      r.device = "/dev/ttyS" + std::to_string(std::stoi(r.device) - 1);  // ASRL1 is the first port
    return r;
  }
  return bad("unknown interface (TCPIP...::SOCKET, ASRL...::INSTR, tcp:HOST:PORT and serial:DEVICE are supported)");
}

}  // namespace aidi::inst
