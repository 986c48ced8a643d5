#include "aidi/inst/result.hpp"

namespace aidi::inst {

std::string_view toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Io: return "io";
    case ErrorCode::Protocol: return "protocol";
    case ErrorCode::Limit: return "limit";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::InUse: return "in-use";
    case ErrorCode::Cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace aidi::inst
